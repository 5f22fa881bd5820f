using System.ComponentModel.DataAnnotations;
using System.Globalization;
using DeployGuard.Core.Pipelines;
using DeployGuard.Core.Policy;
using DeployGuard.GitHub;
using Microsoft.Extensions.Logging;

namespace DeployGuard.Pipelines;

/// <summary>How the GitHub pipelines (<c>github-actions</c>, <c>repository-dispatch</c>) deliver and follow a deploy.</summary>
public sealed record GitHubActionsPipelineOptions
{
    /// <summary>
    /// How long GitHub may take to list a run it has created. A recovered claim younger than this that finds no run
    /// waits instead of dispatching (the first dispatch may not be listed yet); after a dispatch whose answer was lost,
    /// runs are looked for this long before dispatching again.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan RunLookupGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A run not completed this long after it was created is recorded as failed; the deploy is not left open for ever.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan RunTimeout { get; set; } = TimeSpan.FromHours(2);

    /// <summary>
    /// Dispatches tried per trigger when GitHub fails transiently (5xx, timeouts) after the client's own retries;
    /// a github-actions dispatch is only repeated once the run has been looked for and not found.
    /// </summary>
    [Range(1, 10)]
    public int MaxDispatchAttempts { get; set; } = 3;
}

/// <summary>
/// The <c>github-actions</c> pipeline (SPEC §5): dispatches the app's workflow with the deploy's values as inputs and
/// follows the run to its conclusion. Each deploy must trigger at most one run, across crashes and lost answers,
/// yet a dispatch is not idempotent and GitHub has no idempotency key for it. So the run is found by its title: the
/// workflow's <c>run-name</c> must contain <c>${{ inputs.deploy_id }}</c>, and before every dispatch — the first,
/// after a restart, after a 5xx whose effect is unknown — the runs are searched for one whose title names this
/// deploy. Only when there is none is the workflow dispatched (again).
/// </summary>
public sealed class GitHubActionsPipeline : IPipeline
{
    /// <summary>Runs are searched from the claim's time less this: GitHub's clock and ours need not agree.</summary>
    internal static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>The first wait between dispatch attempts; it doubles.</summary>
    internal static readonly TimeSpan DispatchRetryDelay = TimeSpan.FromSeconds(5);

    /// <summary>The first and the longest wait between two searches for a run that should be listed soon.</summary>
    private static readonly TimeSpan FirstLookupDelay = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan MaxLookupDelay = TimeSpan.FromSeconds(8);

    private readonly IGitHubClient _github;
    private readonly TimeProvider _time;
    private readonly ILogger<GitHubActionsPipeline> _logger;
    private readonly GitHubActionsPipelineOptions _options;

    public GitHubActionsPipeline(IGitHubClient github, TimeProvider time, ILogger<GitHubActionsPipeline> logger, GitHubActionsPipelineOptions options)
    {
        ArgumentNullException.ThrowIfNull(github);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(options);
        _github = github;
        _time = time;
        _logger = logger;
        _options = options;
    }

    public PipelineType Type => PipelineType.GitHubActions;

    public async Task<PipelineOutcome> TriggerAsync(PipelineRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Target.Of(request) is not { } target)
        {
            return new PipelineOutcome.Failed($"{request.Describe()}: the pipeline names no workflow and ref to dispatch");
        }

        try
        {
            return await TriggerAsync(request, target, cancellationToken);
        }
        catch (ArgumentException e)
        {
            // A repository or workflow name no GitHub path can hold: a policy error, not GitHub's.
            return new PipelineOutcome.Failed($"{request.Describe()}: {e.Message}");
        }
    }

    /// <summary>
    /// Reads the run; <paramref name="run"/> is its <c>html_url</c>, whose last segment is the run id. A completed run
    /// that concluded <c>success</c> succeeded, and so did one that concluded <c>neutral</c> or <c>skipped</c>: the
    /// workflow ran and chose not to fail (GitHub counts both as passing for required checks). Every other conclusion
    /// failed. When GitHub cannot be asked, the run is still <see cref="PipelineOutcome.Running"/>.
    /// </summary>
    public async Task<PipelineOutcome> FollowAsync(PipelineRequest request, string run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(run);
        if (RunId(run) is not { } id)
        {
            return new PipelineOutcome.Failed($"'{run}' is not the address of a GitHub Actions run, so it cannot be followed", run);
        }

        var repository = request.Spec.Repository ?? request.AppRepository;
        try
        {
            var current = await _github.GetWorkflowRunAsync(repository, id, cancellationToken);
            return OutcomeOf(current, run);
        }
        catch (GitHubException e)
        {
            _logger.LogWarning("Deploy {DeployId}: run {Run} could not be read, still following it: {Reason}", request.DeployId, run, e.Message);
            return new PipelineOutcome.Running(run);
        }
        catch (ArgumentException e)
        {
            return new PipelineOutcome.Failed($"{request.Describe()}: {e.Message}", run);
        }
    }

    /// <summary>
    /// True when <paramref name="title"/> holds <paramref name="deployId"/> as a whole token: not inside a longer id
    /// (<c>staging.app.abc</c> is not in <c>staging.app.abcd…</c> nor in <c>prestaging.app.abc</c>). A full stop after
    /// it ends a sentence, not the token.
    /// </summary>
    internal static bool TitleNamesDeploy(string title, string deployId)
    {
        ArgumentNullException.ThrowIfNull(title);
        ArgumentException.ThrowIfNullOrEmpty(deployId);
        for (var at = title.IndexOf(deployId, StringComparison.Ordinal); at >= 0; at = title.IndexOf(deployId, at + 1, StringComparison.Ordinal))
        {
            var end = at + deployId.Length;
            var startsToken = at == 0 || !IsIdCharacter(title[at - 1]);
            var endsToken = end == title.Length
                || (!IsIdCharacter(title[end]) || (title[end] == '.' && (end + 1 == title.Length || !IsIdCharacter(title[end + 1]) || title[end + 1] == '.')));
            if (startsToken && endsToken)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// True when <paramref name="run"/> is of <paramref name="workflow"/>: a file name (<c>deploy.yml</c>, compared with
    /// the file of the run's <c>path</c>, which GitHub may suffix with <c>@ref</c>) or a numeric workflow id.
    /// </summary>
    internal static bool IsRunOfWorkflow(WorkflowRun run, string workflow)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentException.ThrowIfNullOrWhiteSpace(workflow);
        if (long.TryParse(workflow, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            return run.WorkflowId == id;
        }

        var path = run.Path;
        var at = path.IndexOf('@', StringComparison.Ordinal);
        path = at < 0 ? path : path[..at];
        return string.Equals(FileName(path), FileName(workflow), StringComparison.Ordinal);

        static string FileName(string path) => path[(path.LastIndexOf('/') + 1)..];
    }

    /// <summary>The run id at the end of a run's address (<c>…/actions/runs/30433642</c>); null when there is none.</summary>
    internal static long? RunId(string run) =>
        Uri.TryCreate(run, UriKind.Absolute, out var uri)
        && long.TryParse(uri.Segments[^1].TrimEnd('/'), NumberStyles.None, CultureInfo.InvariantCulture, out var id)
        && id > 0
            ? id
            : null;

    /// <summary>The wait before dispatch retry <paramref name="retry"/> (1, 2…): 5 s, 10 s, 20 s…</summary>
    internal static TimeSpan DispatchBackoff(int retry) => DispatchRetryDelay * Math.Pow(2, Math.Clamp(retry - 1, 0, 10));

    private static bool IsIdCharacter(char c) => char.IsLetterOrDigit(c) || c is '.' or '-' or '_';

    private async Task<PipelineOutcome> TriggerAsync(PipelineRequest request, Target target, CancellationToken cancellationToken)
    {
        // 1. Look before dispatching: a previous attempt (before a crash, or whose answer was lost) may have run.
        var first = await FindRunAsync(request, target, cancellationToken);
        if (first.Run is { } existing)
        {
            _logger.LogInformation(
                "Deploy {DeployId}: workflow {Workflow} in {Repository} already has run {Run} for it; not dispatching again",
                request.DeployId,
                target.Workflow,
                target.Repository,
                existing.HtmlUrl);
            return OutcomeOf(existing, existing.HtmlUrl);
        }

        if (first.Error is { IsTransient: false } refused)
        {
            return new PipelineOutcome.Failed(Refused(target, refused));
        }

        if (first.Error is { } unavailable)
        {
            if (request.Recovering)
            {
                return new PipelineOutcome.Waiting(
                    $"the runs of {target.Workflow} in {target.Repository} cannot be listed to tell whether this deploy was dispatched before: {unavailable.Message}");
            }

            // A first dispatch needs no search to be safe (the claim in the ledger guarantees that); the search
            // only guards against a previous attempt, and there was none.
            _logger.LogWarning(
                "Deploy {DeployId}: the runs of {Workflow} in {Repository} could not be listed, dispatching as this is the first attempt: {Reason}",
                request.DeployId,
                target.Workflow,
                target.Repository,
                unavailable.Message);
        }
        else if (request.Recovering && _time.GetUtcNow() - request.ClaimedAt < _options.RunLookupGrace)
        {
            return new PipelineOutcome.Waiting(
                $"recovered claim of {request.ClaimedAt:O}: a dispatch of {target.Workflow} in {target.Repository} may not be listed yet; looking again once {_options.RunLookupGrace} have passed");
        }

        // 2. Dispatch; after a failure whose effect is unknown, look again before the next attempt.
        GitHubException? last = null;
        for (var attempt = 1; attempt <= _options.MaxDispatchAttempts; attempt++)
        {
            if (attempt > 1)
            {
                await Task.Delay(DispatchBackoff(attempt - 1), _time, cancellationToken);
            }

            var dispatchedAt = _time.GetUtcNow();
            WorkflowDispatchResult? result;
            try
            {
                result = await _github.DispatchWorkflowAsync(target.Repository, target.Workflow, target.Ref, request.Values, cancellationToken);
            }
            catch (GitHubRateLimitException e)
            {
                // Refused unsent, until a reset further away than the client would wait: certainly not dispatched.
                return new PipelineOutcome.Waiting($"dispatch of {target.Workflow} in {target.Repository} not sent: {e.Message}");
            }
            catch (GitHubException e) when (e.IsTransient)
            {
                last = e;
                _logger.LogWarning(
                    "Deploy {DeployId}: dispatch {Attempt} of {MaxAttempts} of {Workflow} in {Repository} failed and may still have gone through; looking for its run: {Reason}",
                    request.DeployId,
                    attempt,
                    _options.MaxDispatchAttempts,
                    target.Workflow,
                    target.Repository,
                    e.Message);
                var after = await FindRunSoonAsync(request, target, dispatchedAt, cancellationToken);
                if (after.Run is { } run)
                {
                    _logger.LogInformation("Deploy {DeployId}: the failed dispatch went through, run {Run}", request.DeployId, run.HtmlUrl);
                    return OutcomeOf(run, run.HtmlUrl);
                }

                if (after.Error is { } blind)
                {
                    return new PipelineOutcome.Waiting(
                        $"dispatch of {target.Workflow} in {target.Repository} failed ({e.Message}) and its runs cannot be listed to tell whether it went through: {blind.Message}");
                }

                continue;
            }
            catch (GitHubException e)
            {
                return new PipelineOutcome.Failed(Refused(target, e));
            }

            if (result is not null)
            {
                _logger.LogInformation(
                    "Deploy {DeployId}: dispatched {Workflow} in {Repository} at {Ref}, run {Run}",
                    request.DeployId,
                    target.Workflow,
                    target.Repository,
                    target.Ref,
                    result.HtmlUrl);
                return new PipelineOutcome.Running(result.HtmlUrl);
            }

            // 204: GitHub did not say which run it created; find it by its title.
            var found = await FindRunSoonAsync(request, target, dispatchedAt, cancellationToken);
            if (found.Run is { } listed)
            {
                _logger.LogInformation("Deploy {DeployId}: dispatched {Workflow} in {Repository}, run {Run}", request.DeployId, target.Workflow, target.Repository, listed.HtmlUrl);
                return OutcomeOf(listed, listed.HtmlUrl);
            }

            _logger.LogWarning(
                "Deploy {DeployId}: dispatched {Workflow} in {Repository} but found no run titled with the deploy id; its conclusion will not be followed. Make the workflow's run-name contain ${{{{ inputs.deploy_id }}}}",
                request.DeployId,
                target.Workflow,
                target.Repository);
            return new PipelineOutcome.Triggered(null);
        }

        return new PipelineOutcome.Failed(
            $"dispatching workflow {target.Workflow} in {target.Repository} failed {_options.MaxDispatchAttempts} times and no run appeared: {last?.Message}");
    }

    /// <summary>The earliest run of the workflow titled with this deploy, created since the claim (less clock skew).</summary>
    private async Task<Lookup> FindRunAsync(PipelineRequest request, Target target, CancellationToken cancellationToken)
    {
        IReadOnlyList<WorkflowRun> runs;
        try
        {
            runs = await _github.ListWorkflowRunsAsync(
                target.Repository,
                new WorkflowRunQuery { Event = "workflow_dispatch", CreatedFrom = request.ClaimedAt - ClockSkew },
                cancellationToken);
        }
        catch (GitHubException e)
        {
            return new Lookup(null, e);
        }

        var matches = runs
            .Where(r => IsRunOfWorkflow(r, target.Workflow) && TitleNamesDeploy(r.DisplayTitle, request.DeployId))
            .OrderBy(r => r.CreatedAt)
            .ThenBy(r => r.Id)
            .ToList();
        if (matches.Count > 1)
        {
            _logger.LogWarning(
                "Deploy {DeployId}: {Count} runs of {Workflow} in {Repository} are titled with it ({Runs}); following the first",
                request.DeployId,
                matches.Count,
                target.Workflow,
                target.Repository,
                string.Join(", ", matches.Select(r => r.HtmlUrl)));
        }

        return new Lookup(matches.FirstOrDefault(), null);
    }

    /// <summary>
    /// Looks for the run of a dispatch made at <paramref name="dispatchedAt"/> until GitHub should have listed it
    /// (<see cref="GitHubActionsPipelineOptions.RunLookupGrace"/>): at once, then after 2, 4, 8, 8… seconds.
    /// A refusal ends the search; a transient failure is looked past, and returned when it was the last word.
    /// </summary>
    private async Task<Lookup> FindRunSoonAsync(PipelineRequest request, Target target, DateTimeOffset dispatchedAt, CancellationToken cancellationToken)
    {
        var delay = FirstLookupDelay;
        while (true)
        {
            var lookup = await FindRunAsync(request, target, cancellationToken);
            if (lookup.Run is not null || lookup.Error is { IsTransient: false })
            {
                return lookup;
            }

            var left = dispatchedAt + _options.RunLookupGrace - _time.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                return lookup;
            }

            await Task.Delay(delay < left ? delay : left, _time, cancellationToken);
            delay = delay * 2 < MaxLookupDelay ? delay * 2 : MaxLookupDelay;
        }
    }

    /// <summary>Where a run stands, as an outcome that names it by <paramref name="url"/>.</summary>
    private PipelineOutcome OutcomeOf(WorkflowRun run, string url)
    {
        if (run.Status == "completed")
        {
            return run.Conclusion is "success" or "neutral" or "skipped"
                ? new PipelineOutcome.Succeeded(url)
                : new PipelineOutcome.Failed($"run concluded {run.Conclusion ?? "without a conclusion"}", url);
        }

        if (_time.GetUtcNow() - run.CreatedAt > _options.RunTimeout)
        {
            return new PipelineOutcome.Failed($"run still {run.Status ?? "not completed"} after {_options.RunTimeout.ToString("c", CultureInfo.InvariantCulture)}", url);
        }

        return new PipelineOutcome.Running(url);
    }

    /// <summary>A reason for a refusal that names what was refused, and what usually fixes it.</summary>
    private static string Refused(Target target, GitHubException error) => error switch
    {
        GitHubNotFoundException => $"workflow {target.Workflow} or repository {target.Repository} not found, or the token cannot see it: {error.Message}",
        GitHubValidationException => $"GitHub refused to dispatch workflow {target.Workflow} in {target.Repository} at {target.Ref} (does the workflow have a workflow_dispatch trigger with these inputs, and the ref exist?): {error.Message}",
        GitHubUnauthorizedException or GitHubForbiddenException => $"the token may not dispatch workflow {target.Workflow} in {target.Repository} (it needs Actions: write, see docs/github.md): {error.Message}",
        _ => $"dispatching workflow {target.Workflow} in {target.Repository} failed: {error.Message}",
    };

    /// <summary>What a request dispatches: the repository (the app's unless the pipeline names one), workflow and ref.</summary>
    private sealed record Target(string Repository, string Workflow, string Ref)
    {
        public static Target? Of(PipelineRequest request) =>
            string.IsNullOrWhiteSpace(request.Spec.Workflow) || string.IsNullOrWhiteSpace(request.Spec.Ref)
                ? null
                : new Target(request.Spec.Repository ?? request.AppRepository, request.Spec.Workflow, request.Spec.Ref);
    }

    /// <summary>A search for the run: the run when found, or why the runs could not be listed.</summary>
    private readonly record struct Lookup(WorkflowRun? Run, GitHubException? Error);
}
