using DeployGuard.Core.DeployFiles;
using DeployGuard.Core.Ledger;
using DeployGuard.Core.Policy;

namespace DeployGuard.Core.Checks;

/// <summary>
/// SPEC §4 step 6: with <c>promote_from: X</c>, the commit must already have succeeded in X, at least
/// <c>min_soak</c> ago. Production only runs what staging has run, for long enough to show problems.
/// </summary>
/// <remarks>
/// The soak starts at the <em>earliest</em> <c>succeeded</c> record of that exact commit in X: that is
/// when the commit started running there. A later redeploy of the same commit does not restart the
/// clock, and records of other statuses (failed, refused, superseded, …) never count as a success.
/// </remarks>
public static class PromotionCheck
{
    /// <param name="environment">The environment deployed to, named in the reasons.</param>
    /// <param name="rules">Its rules: <see cref="EffectiveRules.PromoteFrom"/> and <see cref="EffectiveRules.MinSoak"/>.</param>
    /// <param name="commit">The application commit to deploy (full hash, any case).</param>
    /// <param name="promoteFromHistory">
    /// Ledger entries of the same app in the <c>promote_from</c> environment. Entries of any other
    /// environment are ignored, so a caller's mistake cannot make a commit look promoted.
    /// </param>
    /// <param name="now">The instant judged.</param>
    public static CheckOutcome Evaluate(
        string environment, EffectiveRules rules, string commit, IEnumerable<LedgerEntry> promoteFromHistory, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(commit);
        ArgumentNullException.ThrowIfNull(promoteFromHistory);
        if (rules.PromoteFrom is not { } from)
        {
            return new CheckOutcome.Passed(NoPromotion(environment));
        }

        DateTimeOffset? succeededAt = null;
        foreach (var entry in promoteFromHistory)
        {
            if (entry.Status == DeployStatus.Succeeded &&
                string.Equals(entry.Environment, from, StringComparison.Ordinal) &&
                string.Equals(entry.Commit, commit, StringComparison.OrdinalIgnoreCase) &&
                (succeededAt is null || entry.At < succeededAt))
            {
                succeededAt = entry.At;
            }
        }

        if (succeededAt is not { } at)
        {
            return new CheckOutcome.Failed(NotPromoted(commit, from));
        }

        var until = at + rules.MinSoak;
        return now < until
            ? new CheckOutcome.Waiting(Soaking(environment, from, now - at, rules.MinSoak, until), until)
            : new CheckOutcome.Passed(Promoted(commit, from, now - at, rules.MinSoak));
    }

    public static string NoPromotion(string environment) => $"{environment} needs no promotion";

    /// <summary>"commit 1a2b3c4d5e6f has not succeeded in staging: promote it there first".</summary>
    public static string NotPromoted(string commit, string promoteFrom)
    {
        ArgumentNullException.ThrowIfNull(commit);
        return $"commit {CommitHash.Abbreviate(commit)} has not succeeded in {promoteFrom}: promote it there first";
    }

    /// <summary>"soaking in staging: succeeded 10 minutes ago, production needs 30 minutes (until 2026-11-21T10:20Z)".</summary>
    public static string Soaking(string environment, string promoteFrom, TimeSpan elapsed, TimeSpan minSoak, DateTimeOffset until) =>
        $"soaking in {promoteFrom}: succeeded {CheckText.Elapsed(elapsed)} ago, {environment} needs {CheckText.Duration(minSoak)} (until {CheckText.Utc(until)})";

    public static string Promoted(string commit, string promoteFrom, TimeSpan elapsed, TimeSpan minSoak)
    {
        ArgumentNullException.ThrowIfNull(commit);
        var soak = minSoak > TimeSpan.Zero ? $" (min_soak {CheckText.Duration(minSoak)})" : "";
        return $"{CommitHash.Abbreviate(commit)} succeeded in {promoteFrom} {CheckText.Elapsed(elapsed)} ago{soak}";
    }
}
