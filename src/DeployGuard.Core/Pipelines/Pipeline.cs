using DeployGuard.Core.Policy;

namespace DeployGuard.Core.Pipelines;

/// <summary>
/// One delivery to an app's pipeline (SPEC §5): the values every pipeline receives, and the spec
/// that says how to deliver them. The same request is delivered again after a crash, with the
/// same <see cref="DeployId"/>: receivers de-duplicate on it (docs/pipelines.md).
/// </summary>
public sealed record PipelineRequest
{
    public required string Environment { get; init; }
    public required string App { get; init; }

    /// <summary>The application commit to deploy.</summary>
    public required string Commit { get; init; }

    public string? PreviousCommit { get; init; }
    public required string DeployId { get; init; }

    /// <summary>The app's GitHub repository (<c>owner/name</c>); the pipeline's own repository defaults to it.</summary>
    public required string AppRepository { get; init; }

    public required PipelineSpec Spec { get; init; }

    /// <summary>When the intent was claimed in the ledger: no run for it can be older.</summary>
    public required DateTimeOffset ClaimedAt { get; init; }

    /// <summary>
    /// True when a claim is picked up again after a crash or restart: the pipeline may already have
    /// been triggered, so a pipeline that can look (github-actions) looks before triggering.
    /// </summary>
    public bool Recovering { get; init; }

    /// <summary>The values as name/value pairs, in SPEC §5's order; a missing previous commit is "".</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Values =>
    [
        new("environment", Environment),
        new("app", App),
        new("commit", Commit),
        new("previous_commit", PreviousCommit ?? ""),
        new("deploy_id", DeployId),
    ];

    /// <summary>How the pipeline is named in the ledger's <c>Pipeline:</c> trailer; never holds a secret.</summary>
    public string Describe() => Spec.Type switch
    {
        PipelineType.GitHubActions => $"github-actions {Spec.Repository ?? AppRepository} {Spec.Workflow}",
        PipelineType.RepositoryDispatch => $"repository-dispatch {Spec.Repository ?? AppRepository}",
        // Only scheme, host and path: a query string can carry a token.
        PipelineType.Webhook => $"webhook {Spec.Url?.GetLeftPart(UriPartial.Path)}",
        PipelineType.Command => $"command {(Spec.Command is [var program, ..] ? program : "")}",
        _ => Spec.Type.ToString(),
    };
}

/// <summary>Where a delivery stands.</summary>
public abstract record PipelineOutcome
{
    /// <summary>The pipeline reported success: a webhook's 2xx, a command's exit 0, a run concluded success.</summary>
    public sealed record Succeeded(string? Run) : PipelineOutcome;

    /// <summary>Delivered and still running (a GitHub Actions run): follow it with <see cref="IPipeline.FollowAsync"/>.</summary>
    public sealed record Running(string Run) : PipelineOutcome;

    /// <summary>Delivered to a pipeline that reports no result of its own (repository-dispatch).</summary>
    public sealed record Triggered(string? Run) : PipelineOutcome;

    /// <summary>Failed for good, after the retries transient failures get: recorded as <c>failed</c> with the reason.</summary>
    public sealed record Failed(string Reason, string? Run = null) : PipelineOutcome;

    /// <summary>
    /// Nothing was delivered and it is not known yet whether it may be: the claim stays <c>pending</c>
    /// and the intent is tried again on the next loop (e.g. a recovered claim whose run may not be listed yet).
    /// </summary>
    public sealed record Waiting(string Reason) : PipelineOutcome;
}

/// <summary>One kind of pipeline (SPEC §5).</summary>
public interface IPipeline
{
    PipelineType Type { get; }

    /// <summary>
    /// Delivers the request. Transient failures (5xx, timeouts, rate limits) are retried inside;
    /// what is returned is final for this attempt. Never throws for a pipeline failure, only for cancellation.
    /// </summary>
    Task<PipelineOutcome> TriggerAsync(PipelineRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Where a <see cref="PipelineOutcome.Running"/> delivery stands now. A failure to ask (GitHub
    /// unreachable) answers <see cref="PipelineOutcome.Running"/> again: the run is not failed because we could not see it.
    /// </summary>
    Task<PipelineOutcome> FollowAsync(PipelineRequest request, string run, CancellationToken cancellationToken);
}
