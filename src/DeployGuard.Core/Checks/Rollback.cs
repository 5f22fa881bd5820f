using DeployGuard.Core.DeployFiles;

namespace DeployGuard.Core.Checks;

/// <summary>
/// SPEC §4 step 8: a commit that is an ancestor of the deployed one is a rollback. Allowed, and flagged
/// everywhere it is reported, so nobody mistakes going back for going forward.
/// </summary>
public static class RollbackRule
{
    /// <summary>GitHub's compare status when the head is an ancestor of the base.</summary>
    public const string Behind = "behind";

    /// <param name="compareStatus">
    /// GitHub's status of <c>compare deployedCommit...newCommit</c>: <c>behind</c> (the new commit is an
    /// ancestor of the deployed one) is a rollback; <c>identical</c> is a redeploy, <c>ahead</c> and
    /// <c>diverged</c> are not rollbacks.
    /// </param>
    public static bool IsRollback(string compareStatus) => string.Equals(compareStatus, Behind, StringComparison.Ordinal);

    /// <summary>"rollback: 1a2b3c4d5e6f is older than the deployed 9f8e7d6c5b4a".</summary>
    public static string Summary(string newCommit, string deployedCommit)
    {
        ArgumentNullException.ThrowIfNull(newCommit);
        ArgumentNullException.ThrowIfNull(deployedCommit);
        return $"rollback: {CommitHash.Abbreviate(newCommit)} is older than the deployed {CommitHash.Abbreviate(deployedCommit)}";
    }
}
