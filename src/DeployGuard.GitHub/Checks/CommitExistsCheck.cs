using DeployGuard.Core.DeployFiles;
using Microsoft.Extensions.Logging;

namespace DeployGuard.GitHub.Checks;

/// <summary>
/// SPEC §4 step 3: the commit a deploy file names exists in the app repository. A typo or a commit that was
/// never pushed is refused here, with a reason that says so, rather than as a puzzling failure of a later check.
/// </summary>
public sealed class CommitExistsCheck(IGitHubClient github, ILogger<CommitExistsCheck> logger)
{
    public const string Missing = "does not exist";
    public const string NotACommit = "is not a commit id";

    public async Task<CheckResult> EvaluateAsync(string repository, string commit, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(commit);
        var shortCommit = CommitHash.Abbreviate(commit);
        GitCommitInfo? found;
        try
        {
            found = await github.GetCommitAsync(repository, commit, cancellationToken);
        }
        catch (GitHubException ex)
        {
            logger.LogWarning("Cannot check that {Commit} exists in {Repository}: {Reason}", shortCommit, repository, ex.Message);
            return new CheckResult.CannotVerify($"cannot check that commit {shortCommit} exists: {ex.Message}");
        }

        if (found is null)
        {
            // GitHub answers the same for a repository the token cannot see: nothing proves the commit exists.
            return new CheckResult.Failed($"commit {shortCommit} {Missing} in {repository}");
        }

        // GitHub resolves branch and tag names too; a deploy names one immutable commit, so "main" that happens to
        // resolve is not a pass.
        if (!found.Sha.StartsWith(commit, StringComparison.OrdinalIgnoreCase))
        {
            return new CheckResult.Failed($"'{commit}' {NotACommit} in {repository}: GitHub resolved it to {CommitHash.Abbreviate(found.Sha)} (a branch or tag name?)");
        }

        return new CheckResult.Passed($"{shortCommit} exists in {repository}");
    }
}
