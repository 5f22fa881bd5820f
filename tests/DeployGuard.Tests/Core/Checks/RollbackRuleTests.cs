using DeployGuard.Core.Checks;

namespace DeployGuard.Tests.Core.Checks;

/// <summary>SPEC §4 step 8: going back to an ancestor of the deployed commit is a rollback, and said so.</summary>
public sealed class RollbackRuleTests
{
    [Theory]
    [InlineData("behind", true)]     // the new commit is an ancestor of the deployed one
    [InlineData("identical", false)] // a redeploy of the same commit
    [InlineData("ahead", false)]     // a normal deploy forward
    [InlineData("diverged", false)]  // another line of history: not older, the release-branch check judges it
    [InlineData("Behind", false)]    // GitHub's statuses are lower case; anything else is not a known rollback
    [InlineData("", false)]
    public void IsRollback_OnlyWhenTheNewCommitIsBehindTheDeployedOne(string compareStatus, bool rollback) =>
        RollbackRule.IsRollback(compareStatus).ShouldBe(rollback);

    [Fact]
    public void Summary_NamesBothCommitsShort() =>
        RollbackRule.Summary("1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d", "9f8e7d6c5b4a3f2e1d0c9f8e7d6c5b4a3f2e1d0c")
            .ShouldBe("rollback: 1a2b3c4d5e6f is older than the deployed 9f8e7d6c5b4a");
}
