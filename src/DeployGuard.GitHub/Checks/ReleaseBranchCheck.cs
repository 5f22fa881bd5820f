using DeployGuard.Core.DeployFiles;
using Microsoft.Extensions.Logging;

namespace DeployGuard.GitHub.Checks;

/// <summary>The answer of one safety check (SPEC §4).</summary>
public abstract record CheckResult
{
    public sealed record Passed(string Summary) : CheckResult;

    /// <summary>The check failed: the intent is refused with <see cref="Reason"/> among its reasons.</summary>
    public sealed record Failed(string Reason) : CheckResult;

    /// <summary>
    /// Not decided yet (checks still running, none reported so far): judged again next loop, not refused.
    /// Unlike <see cref="CannotVerify"/>, GitHub answered; the answer is "not yet".
    /// </summary>
    public sealed record Pending(string Reason) : CheckResult;

    /// <summary>GitHub could not be asked: the intent waits for the next loop, nothing is recorded.</summary>
    public sealed record CannotVerify(string Reason) : CheckResult;
}

/// <summary>
/// SPEC §4 steps 3–4: the commit exists in the app repository and is reachable from its release
/// branch (compare <c>release_branch...commit</c> is <c>behind</c> or <c>identical</c>). The
/// safeguard against the incident that started DeployGuard: an old feature branch deployed to production.
/// </summary>
public sealed class ReleaseBranchCheck(IGitHubClient github, ILogger<ReleaseBranchCheck> logger)
{
    public const string NotOnBranch = "not on the release branch";
    public const string Missing = "does not exist";

    public async Task<CheckResult> EvaluateAsync(string repository, string releaseBranch, string commit, CancellationToken cancellationToken)
    {
        var shortCommit = CommitHash.Abbreviate(commit);
        try
        {
            var comparison = await github.CompareAsync(repository, releaseBranch, commit, cancellationToken);
            return comparison.Status switch
            {
                "behind" or "identical" => new CheckResult.Passed($"{shortCommit} is on {releaseBranch}"),
                _ => new CheckResult.Failed(
                    $"commit {shortCommit} is {NotOnBranch} {releaseBranch} of {repository}: {comparison.AheadBy} commit(s) in it are not on {releaseBranch} (an old or feature branch?)"),
            };
        }
        catch (GitHubNotFoundException)
        {
            // GitHub answers 404 for an unknown commit (and for a branch or repository it cannot see):
            // either way nothing proves the commit is releasable, so it is refused.
            return new CheckResult.Failed($"commit {shortCommit} {Missing} in {repository} (or {repository} has no branch {releaseBranch})");
        }
        catch (GitHubException ex)
        {
            logger.LogWarning("Cannot check the release branch of {Commit} in {Repository}: {Reason}", shortCommit, repository, ex.Message);
            return new CheckResult.CannotVerify($"cannot check the release branch: {ex.Message}");
        }
    }
}
