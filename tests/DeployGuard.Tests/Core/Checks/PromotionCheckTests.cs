using DeployGuard.Core.Checks;
using DeployGuard.Core.Ledger;
using DeployGuard.Core.Policy;
using DeployGuard.Tests.Support;

namespace DeployGuard.Tests.Core.Checks;

/// <summary>SPEC §4 step 6: production only runs what succeeded in staging, long enough ago.</summary>
public sealed class PromotionCheckTests
{
    private static readonly string Commit = Hashes.Sha1("release-42");
    private static readonly string Other = Hashes.Sha1("release-41");
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 10, 0, 0, TimeSpan.Zero);

    private static EffectiveRules Production(string? promoteFrom = "staging", TimeSpan? minSoak = null) =>
        new DeployPolicy
        {
            Environments = new Dictionary<string, EnvironmentRules>
            {
                ["staging"] = new(),
                ["production"] = new() { PromoteFrom = promoteFrom, MinSoak = minSoak ?? TimeSpan.FromMinutes(30) },
            },
        }.RulesFor("production")!;

    private static LedgerEntry Entry(DeployStatus status, TimeSpan ago, string? commit = null, string environment = "staging") => new()
    {
        Environment = environment,
        App = "app",
        DeployId = $"{environment}.app.{Hashes.Sha1(ago.ToString())[..12]}",
        Commit = commit ?? Commit,
        Status = status,
        At = Now - ago,
    };

    private static CheckOutcome Evaluate(EffectiveRules rules, DateTimeOffset now, params LedgerEntry[] history) =>
        PromotionCheck.Evaluate("production", rules, Commit, history, now);

    [Fact]
    public void Evaluate_SucceededTenMinutesAgoWithSoak30m_WaitsUntilTheSoakEnds_ThenPasses()
    {
        var staged = Entry(DeployStatus.Succeeded, TimeSpan.FromMinutes(10));

        var early = Evaluate(Production(), Now, staged).ShouldBeOfType<CheckOutcome.Waiting>();
        early.Until.ShouldBe(Now + TimeSpan.FromMinutes(20));
        early.Reason.ShouldBe("soaking in staging: succeeded 10 minutes ago, production needs 30 minutes (until 2026-11-21T10:20Z)");

        Evaluate(Production(), early.Until!.Value.AddTicks(-1), staged).ShouldBeOfType<CheckOutcome.Waiting>();
        Evaluate(Production(), early.Until.Value, staged).ShouldBeOfType<CheckOutcome.Passed>()
            .Summary.ShouldBe($"{Commit[..12]} succeeded in staging 30 minutes ago (min_soak 30 minutes)");
    }

    [Fact]
    public void Evaluate_NoPromoteFrom_PassesWithoutAnyHistory() =>
        Evaluate(Production(promoteFrom: null), Now).ShouldBe(new CheckOutcome.Passed("production needs no promotion"));

    [Fact]
    public void Evaluate_ProductionBeforeStaging_IsRefused() =>
        Evaluate(Production(), Now).ShouldBe(new CheckOutcome.Failed($"commit {Commit[..12]} has not succeeded in staging: promote it there first"));

    public static TheoryData<string, LedgerEntry[]> NotPromotedCases => new()
    {
        { "a failed staging record", [Entry(DeployStatus.Failed, TimeSpan.FromHours(2))] },
        { "a refused staging record", [Entry(DeployStatus.Refused, TimeSpan.FromHours(2))] },
        { "a superseded staging record", [Entry(DeployStatus.Superseded, TimeSpan.FromHours(2))] },
        { "a deferred staging record", [Entry(DeployStatus.Deferred, TimeSpan.FromHours(2))] },
        { "a pending staging record (claimed, not yet run)", [Entry(DeployStatus.Pending, TimeSpan.FromHours(2))] },
        { "a triggered staging record whose result is not known", [Entry(DeployStatus.Triggered, TimeSpan.FromHours(2))] },
        { "another commit succeeded in staging", [Entry(DeployStatus.Succeeded, TimeSpan.FromHours(2), commit: Other)] },
        { "the commit succeeded in an environment other than promote_from", [Entry(DeployStatus.Succeeded, TimeSpan.FromHours(2), environment: "qa")] },
        { "an entry without a commit (a removal)", [Entry(DeployStatus.Removed, TimeSpan.FromHours(2)) with { Commit = null }] },
    };

    [Theory]
    [MemberData(nameof(NotPromotedCases))]
    public void Evaluate_WithoutASucceededRecordOfThatCommit_IsRefused(string rule, LedgerEntry[] history) =>
        Evaluate(Production(), Now, history).ShouldBeOfType<CheckOutcome.Failed>(rule)
            .Reason.ShouldBe($"commit {Commit[..12]} has not succeeded in staging: promote it there first", rule);

    public static TheoryData<string, LedgerEntry[], bool> SoakStartCases => new()
    {
        // case, history, passes at Now with min_soak 30m
        { "the soak started at the earliest success: a redeploy 5 minutes ago does not restart it", [Entry(DeployStatus.Succeeded, TimeSpan.FromMinutes(40)), Entry(DeployStatus.Succeeded, TimeSpan.FromMinutes(5))], true },
        { "order in the history does not matter", [Entry(DeployStatus.Succeeded, TimeSpan.FromMinutes(5)), Entry(DeployStatus.Succeeded, TimeSpan.FromMinutes(40))], true },
        { "a later failed redeploy does not undo the success", [Entry(DeployStatus.Succeeded, TimeSpan.FromMinutes(40)), Entry(DeployStatus.Failed, TimeSpan.FromMinutes(5))], true },
        { "an earlier failure does not start the soak", [Entry(DeployStatus.Failed, TimeSpan.FromMinutes(40)), Entry(DeployStatus.Succeeded, TimeSpan.FromMinutes(5))], false },
        { "an older success of another commit does not start the soak", [Entry(DeployStatus.Succeeded, TimeSpan.FromMinutes(40), commit: Other), Entry(DeployStatus.Succeeded, TimeSpan.FromMinutes(5))], false },
        { "the commit is matched whatever its case", [Entry(DeployStatus.Succeeded, TimeSpan.FromMinutes(40), commit: Commit.ToUpperInvariant())], true },
    };

    [Theory]
    [MemberData(nameof(SoakStartCases))]
    public void Evaluate_SoakStartsAtTheEarliestSuccessOfThatCommit(string rule, LedgerEntry[] history, bool passes)
    {
        var outcome = Evaluate(Production(), Now, history);

        if (passes)
        {
            outcome.ShouldBeOfType<CheckOutcome.Passed>(rule);
        }
        else
        {
            outcome.ShouldBeOfType<CheckOutcome.Waiting>(rule).Until.ShouldBe(Now + TimeSpan.FromMinutes(25), rule);
        }
    }

    [Fact]
    public void Evaluate_NoMinSoak_PassesAsSoonAsStagingSucceeded() =>
        Evaluate(Production(minSoak: TimeSpan.Zero), Now, Entry(DeployStatus.Succeeded, TimeSpan.Zero))
            .ShouldBe(new CheckOutcome.Passed($"{Commit[..12]} succeeded in staging 0 seconds ago"));

    [Fact]
    public void Evaluate_LongSoak_SaysHoursAndUntilWhen()
    {
        var outcome = Evaluate(Production(minSoak: TimeSpan.FromMinutes(90)), Now, Entry(DeployStatus.Succeeded, TimeSpan.FromSeconds(61)));

        outcome.ShouldBe(new CheckOutcome.Waiting(
            "soaking in staging: succeeded 1 minute ago, production needs 1 hour 30 minutes (until 2026-11-21T11:28:59Z)",
            new DateTimeOffset(2026, 11, 21, 11, 28, 59, TimeSpan.Zero)));
    }
}
