using DeployGuard.Core.Checks;
using DeployGuard.Core.Policy;

namespace DeployGuard.Tests.Core.Checks;

/// <summary>risk.extra_approval_above_commits: a big jump needs one more approval.</summary>
public sealed class RiskRuleTests
{
    private static EffectiveRules Rules(int? threshold) =>
        new DeployPolicy { Environments = new Dictionary<string, EnvironmentRules> { ["production"] = new() { ExtraApprovalAboveCommits = threshold } } }
            .RulesFor("production")!;

    public static TheoryData<string, int?, int?, int, string> Cases => new()
    {
        // case, threshold, new commits, extra approvals, summary
        { "one commit above the threshold needs one more approval", 50, 51, 1, "51 new commits (above 50): one more approval required" },
        { "far above the threshold still needs just one more", 50, 5000, 1, "5000 new commits (above 50): one more approval required" },
        { "exactly the threshold needs none", 50, 50, 0, "50 new commits (at most 50): no extra approval" },
        { "a single commit reads in the singular", 50, 1, 0, "1 new commit (at most 50): no extra approval" },
        { "no new commits (a redeploy or rollback) needs none", 50, 0, 0, "0 new commits (at most 50): no extra approval" },
        { "unknown count (first deploy) needs none", 50, null, 0, "number of new commits unknown (first deploy): no extra approval" },
        { "without the rule nothing is added however big the jump", null, 100000, 0, "no risk rule" },
        { "threshold 1: two commits need one more", 1, 2, 1, "2 new commits (above 1): one more approval required" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ExtraApprovals_AboveTheThreshold_IsOne(string rule, int? threshold, int? newCommits, int extra, string summary)
    {
        RiskRule.ExtraApprovals(Rules(threshold), newCommits).ShouldBe(extra, rule);
        RiskRule.Summary(Rules(threshold), newCommits).ShouldBe(summary, rule);
    }
}
