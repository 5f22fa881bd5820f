using DeployGuard.Core.Pipelines;
using DeployGuard.Core.Policy;
using DeployGuard.GitHub;
using Microsoft.Extensions.Logging;

namespace DeployGuard.Pipelines;

/// <summary>
/// The <c>repository-dispatch</c> pipeline (SPEC §5): a <c>repository_dispatch</c> event of type <c>deploy</c> whose
/// <c>client_payload</c> holds the deploy's values. GitHub answers 204 and says nothing of what the event started,
/// so the delivery is <see cref="PipelineOutcome.Triggered"/> and there is nothing to follow.
/// Delivery is at least once: an event whose answer was lost (a 5xx, a timeout) cannot be looked up, so it is sent
/// again, and a receiver may see one deploy twice. Receivers de-duplicate on <c>deploy_id</c> (docs/pipelines.md).
/// </summary>
public sealed class RepositoryDispatchPipeline : IPipeline
{
    /// <summary>The event type SPEC §5 names; a receiving workflow listens with <c>on: repository_dispatch: types: [deploy]</c>.</summary>
    public const string EventType = "deploy";

    private readonly IGitHubClient _github;
    private readonly TimeProvider _time;
    private readonly ILogger<RepositoryDispatchPipeline> _logger;
    private readonly GitHubActionsPipelineOptions _options;

    public RepositoryDispatchPipeline(IGitHubClient github, TimeProvider time, ILogger<RepositoryDispatchPipeline> logger, GitHubActionsPipelineOptions options)
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

    public PipelineType Type => PipelineType.RepositoryDispatch;

    public async Task<PipelineOutcome> TriggerAsync(PipelineRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var repository = request.Spec.Repository ?? request.AppRepository;
        GitHubException? last = null;
        for (var attempt = 1; attempt <= _options.MaxDispatchAttempts; attempt++)
        {
            if (attempt > 1)
            {
                await Task.Delay(GitHubActionsPipeline.DispatchBackoff(attempt - 1), _time, cancellationToken);
            }

            try
            {
                await _github.CreateRepositoryDispatchAsync(repository, EventType, request.Values, cancellationToken);
                _logger.LogInformation("Deploy {DeployId}: repository dispatch {EventType} sent to {Repository}", request.DeployId, EventType, repository);
                return new PipelineOutcome.Triggered(null);
            }
            catch (GitHubRateLimitException e)
            {
                // Refused unsent, until a reset further away than the client would wait: certainly not delivered.
                return new PipelineOutcome.Waiting($"repository dispatch to {repository} not sent: {e.Message}");
            }
            catch (GitHubException e) when (e.IsTransient)
            {
                last = e;
                _logger.LogWarning(
                    "Deploy {DeployId}: repository dispatch {Attempt} of {MaxAttempts} to {Repository} failed, sending again (receivers de-duplicate on deploy_id): {Reason}",
                    request.DeployId,
                    attempt,
                    _options.MaxDispatchAttempts,
                    repository,
                    e.Message);
            }
            catch (GitHubException e)
            {
                return new PipelineOutcome.Failed(Refused(repository, e));
            }
            catch (ArgumentException e)
            {
                // A repository name no GitHub path can hold: a policy error, not GitHub's.
                return new PipelineOutcome.Failed($"{request.Describe()}: {e.Message}");
            }
        }

        return new PipelineOutcome.Failed($"repository dispatch to {repository} failed {_options.MaxDispatchAttempts} times: {last?.Message}");
    }

    /// <summary>A repository dispatch reports nothing back: the delivery stays as it was triggered.</summary>
    public Task<PipelineOutcome> FollowAsync(PipelineRequest request, string run, CancellationToken cancellationToken) =>
        Task.FromResult<PipelineOutcome>(new PipelineOutcome.Triggered(run));

    private static string Refused(string repository, GitHubException error) => error switch
    {
        GitHubNotFoundException => $"repository {repository} not found, or the token cannot see it: {error.Message}",
        GitHubUnauthorizedException or GitHubForbiddenException => $"the token may not send repository dispatches to {repository} (it needs Contents: write, see docs/github.md): {error.Message}",
        _ => $"repository dispatch to {repository} failed: {error.Message}",
    };
}
