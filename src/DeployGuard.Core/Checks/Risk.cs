using System.Globalization;
using DeployGuard.Core.Policy;

namespace DeployGuard.Core.Checks;

/// <summary>
/// <c>risk.extra_approval_above_commits</c>: a deploy that jumps over more new commits than the threshold
/// needs one more approval (SPEC §4 step 2 adds it to <c>min_approvals</c>). A big jump carries more
/// change than one reviewer can hold in mind.
/// </summary>
public static class RiskRule
{
    /// <summary>Approvals needed on top of <c>min_approvals</c>: 1 above the threshold, else 0.</summary>
    /// <param name="rules">The environment's rules.</param>
    /// <param name="newCommits">
    /// Commits the deploy adds over the deployed one; null when unknown (the app's first deploy to the
    /// environment has nothing to compare with), which adds nothing.
    /// </param>
    public static int ExtraApprovals(EffectiveRules rules, int? newCommits)
    {
        ArgumentNullException.ThrowIfNull(rules);
        return rules.ExtraApprovalAboveCommits is { } threshold && newCommits > threshold ? 1 : 0;
    }

    /// <summary>"51 new commits (above 50): one more approval required", and the other cases said plainly.</summary>
    public static string Summary(EffectiveRules rules, int? newCommits)
    {
        ArgumentNullException.ThrowIfNull(rules);
        if (rules.ExtraApprovalAboveCommits is not { } threshold)
        {
            return "no risk rule";
        }

        if (newCommits is not { } count)
        {
            return "number of new commits unknown (first deploy): no extra approval";
        }

        var commits = count == 1 ? "1 new commit" : string.Create(CultureInfo.InvariantCulture, $"{count} new commits");
        return count > threshold
            ? string.Create(CultureInfo.InvariantCulture, $"{commits} (above {threshold}): one more approval required")
            : string.Create(CultureInfo.InvariantCulture, $"{commits} (at most {threshold}): no extra approval");
    }
}
