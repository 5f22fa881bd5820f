using DeployGuard.Core.DeployFiles;
using Microsoft.Extensions.Logging;

namespace DeployGuard.GitHub.Checks;

/// <summary>
/// SPEC §4 step 5: the commit's CI is green. Both of GitHub's mechanisms count: commit statuses (the combined
/// status must be <c>success</c>) and check runs (each must be completed as success, neutral or skipped).
/// <list type="bullet">
/// <item>Any failed or errored status, or any check run completed otherwise → <see cref="CheckResult.Failed"/>,
/// naming each one.</item>
/// <item>Else anything still running (a pending status, a queued or in-progress run) →
/// <see cref="CheckResult.Pending"/>: judged again next loop.</item>
/// <item>No statuses and no check runs at all → <see cref="CheckResult.Pending"/> ("no checks reported yet"): CI may
/// not have started. A commit with no CI at all therefore waits forever; <c>require_checks: false</c> in the
/// policy is the way out, and the caller then does not run this check.</item>
/// </list>
/// GitHub shows the combined status of a commit without statuses as <c>pending</c> (total_count 0), so check runs
/// alone that are all green pass. A GitHub failure is <see cref="CheckResult.CannotVerify"/>.
/// Reasons contain the constants below, so callers and tests can tell the cases apart.
/// </summary>
public sealed class ChecksGreenCheck(IGitHubClient github, ILogger<ChecksGreenCheck> logger)
{
    public const string ChecksFailed = "checks failed";
    public const string ChecksPending = "checks pending";
    public const string NoChecksReported = "no checks reported yet";
    public const string CannotCheck = "cannot check the commit's checks";

    /// <summary>Conclusions that let a deploy through; every other conclusion of a completed run is a failure.</summary>
    private static readonly HashSet<string> GreenConclusions = new(StringComparer.Ordinal) { "success", "neutral", "skipped" };

    public async Task<CheckResult> EvaluateAsync(string repository, string commit, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(commit);
        var shortCommit = CommitHash.Abbreviate(commit);
        CombinedStatus combined;
        IReadOnlyList<CheckRun> runs;
        try
        {
            combined = await github.GetCombinedStatusAsync(repository, commit, cancellationToken);
            runs = await github.ListCheckRunsAsync(repository, commit, cancellationToken);
        }
        catch (GitHubException ex)
        {
            logger.LogWarning("Cannot check the checks of {Commit} in {Repository}: {Reason}", shortCommit, repository, ex.Message);
            return new CheckResult.CannotVerify($"{CannotCheck} {shortCommit}: {ex.Message}");
        }

        var statuses = combined.Statuses;
        var statusesReported = statuses.Count > 0 || combined.TotalCount > 0;
        if (!statusesReported && runs.Count == 0)
        {
            logger.LogDebug("{Commit} in {Repository} has no statuses and no check runs yet", shortCommit, repository);
            return new CheckResult.Pending($"{NoChecksReported} on {shortCommit}");
        }

        List<string> failed = [];
        List<string> pending = [];
        foreach (var status in statuses)
        {
            switch (status.State)
            {
                case "success":
                    break;
                case "failure" or "error":
                    failed.Add($"{status.Context} ({status.State})");
                    break;
                default:
                    pending.Add(status.Context);
                    break;
            }
        }

        // The combined state is GitHub's own verdict: trust it too, so a status missed between pages cannot pass.
        if (statusesReported && combined.State != "success" && failed.Count == 0 && pending.Count == 0)
        {
            (combined.State is "failure" or "error" ? failed : pending).Add($"combined status ({combined.State})");
        }

        foreach (var run in runs)
        {
            if (run.Status != "completed")
            {
                pending.Add(run.Name);
            }
            else if (run.Conclusion is not { } conclusion || !GreenConclusions.Contains(conclusion))
            {
                failed.Add($"{run.Name} ({run.Conclusion ?? "no conclusion"})");
            }
        }

        if (failed.Count > 0)
        {
            var reason = $"{ChecksFailed} on {shortCommit}: {string.Join(", ", failed.Distinct(StringComparer.Ordinal))}";
            logger.LogInformation("Checks of {Commit} in {Repository} failed: {Failed}", shortCommit, repository, failed);
            return new CheckResult.Failed(reason);
        }

        if (pending.Count > 0)
        {
            logger.LogDebug("Checks of {Commit} in {Repository} are pending: {Pending}", shortCommit, repository, pending);
            return new CheckResult.Pending($"{ChecksPending} on {shortCommit}: {string.Join(", ", pending.Distinct(StringComparer.Ordinal))}");
        }

        return new CheckResult.Passed($"{Count(statuses.Count, "status", "statuses")} and {Count(runs.Count, "check run", "check runs")} green");
    }

    private static string Count(int n, string one, string many) =>
        $"{n.ToString(System.Globalization.CultureInfo.InvariantCulture)} {(n == 1 ? one : many)}";
}
