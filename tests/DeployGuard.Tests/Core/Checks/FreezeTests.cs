using System.Globalization;
using DeployGuard.Core.Checks;
using DeployGuard.Core.Policy;

namespace DeployGuard.Tests.Core.Checks;

/// <summary>SPEC §4 step 7: freeze windows in absolute time, DST included, and the override label.</summary>
public sealed class FreezeTests
{
    private const string London = "Europe/London";

    private static readonly WeeklyFreezeWindow FridayEvening =
        new([DayOfWeek.Friday], new TimeOnly(16, 0), new TimeOnly(23, 59), London, "no Friday-evening deploys");

    private static readonly WeeklyFreezeWindow FridayNight =
        new([DayOfWeek.Friday], new TimeOnly(22, 0), new TimeOnly(6, 0), London, "overnight batch");

    private static readonly AbsoluteFreezeWindow Holidays =
        new(At("2026-12-20T00:00:00Z"), At("2027-01-04T00:00:00Z"), "holidays");

    private static DateTimeOffset At(string instant) => DateTimeOffset.Parse(instant, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private static WeeklyFreezeWindow Sunday(int fromHour, int fromMinute, int toHour, int toMinute) =>
        new([DayOfWeek.Sunday], new TimeOnly(fromHour, fromMinute), new TimeOnly(toHour, toMinute), London, "sunday maintenance");

    private static EffectiveRules Rules(params FreezeWindow[] windows) =>
        new DeployPolicy { Environments = new Dictionary<string, EnvironmentRules> { ["production"] = new() { Freeze = windows } } }
            .RulesFor("production")!;

    public static TheoryData<string, FreezeWindow[], string, string?> StatusCases => new()
    {
        // case, windows, now, EndsAt when frozen (null: not frozen)
        { "inside an absolute window: frozen until its end", [Holidays], "2026-12-24T12:00:00Z", "2027-01-04T00:00:00Z" },
        { "an absolute window includes its start", [Holidays], "2026-12-20T00:00:00Z", "2027-01-04T00:00:00Z" },
        { "an absolute window excludes its end", [Holidays], "2027-01-04T00:00:00Z", null },
        { "just before an absolute window: open", [Holidays], "2026-12-19T23:59:59Z", null },

        { "winter Friday 16:00 London is 16:00Z: frozen until midnight", [FridayEvening], "2026-11-27T16:00:00Z", "2026-11-28T00:00:00Z" },
        { "winter Friday 15:59 London: open", [FridayEvening], "2026-11-27T15:59:59Z", null },
        { "to 23:59 includes the last minute of Friday", [FridayEvening], "2026-11-27T23:59:30Z", "2026-11-28T00:00:00Z" },
        { "winter Saturday 00:00 London: open again", [FridayEvening], "2026-11-28T00:00:00Z", null },
        { "a winter Thursday evening is not frozen", [FridayEvening], "2026-11-26T18:00:00Z", null },
        { "summer Friday 16:00 London is 15:00Z", [FridayEvening], "2026-07-03T15:00:00Z", "2026-07-03T23:00:00Z" },
        { "summer Friday 15:30Z is 16:30 BST: frozen", [FridayEvening], "2026-07-03T15:30:00Z", "2026-07-03T23:00:00Z" },
        { "summer Friday 14:59Z is 15:59 BST: open", [FridayEvening], "2026-07-03T14:59:59Z", null },
        { "summer Friday 23:00Z is Saturday 00:00 BST: open", [FridayEvening], "2026-07-03T23:00:00Z", null },

        { "overnight Friday 22:00 to 06:00, seen on Saturday 05:00", [FridayNight], "2026-11-28T05:00:00Z", "2026-11-28T06:00:00Z" },
        { "overnight window on Friday 22:00", [FridayNight], "2026-11-27T22:00:00Z", "2026-11-28T06:00:00Z" },
        { "overnight window ends Saturday 06:00", [FridayNight], "2026-11-28T06:00:00Z", null },
        { "overnight window is listed for Friday, so Sunday 05:00 is open", [FridayNight], "2026-11-29T05:00:00Z", null },
        { "Friday 05:00 is not inside the Friday-night window (it starts Friday)", [FridayNight], "2026-11-27T05:00:00Z", null },

        { "spring forward: Sunday 00:30 GMT starts the window", [Sunday(0, 30, 3, 0)], "2026-03-29T00:30:00Z", "2026-03-29T02:00:00Z" },
        { "fall back: Sunday 00:30 BST is Saturday 23:30Z", [Sunday(0, 30, 3, 0)], "2026-10-24T23:30:00Z", "2026-10-25T03:00:00Z" },
    };

    [Theory]
    [MemberData(nameof(StatusCases))]
    public void At_FindsTheWindowAndWhenItEnds(string rule, FreezeWindow[] windows, string now, string? endsAt)
    {
        var status = FreezeCalendar.At(windows, At(now));

        status.IsFrozen.ShouldBe(endsAt is not null, rule);
        if (endsAt is not null)
        {
            status.EndsAt.ShouldBe(At(endsAt), rule);
            status.Window.ShouldBe(windows[0], rule);
        }
    }

    public static TheoryData<string, WeeklyFreezeWindow, string, string, string> DstCases => new()
    {
        // case, window, local start day, UTC start, UTC end
        { "spring forward (01:00 GMT -> 02:00 BST): 00:30 GMT to 03:00 BST is 1h30 long", Sunday(0, 30, 3, 0), "2026-03-29", "2026-03-29T00:30:00Z", "2026-03-29T02:00:00Z" },
        { "spring forward: a start in the skipped hour is the instant clocks jump to", Sunday(1, 30, 4, 0), "2026-03-29", "2026-03-29T01:00:00Z", "2026-03-29T03:00:00Z" },
        { "spring forward: an end in the skipped hour is the instant clocks jump to", Sunday(0, 0, 1, 30), "2026-03-29", "2026-03-29T00:00:00Z", "2026-03-29T01:00:00Z" },
        { "fall back (02:00 BST -> 01:00 GMT): 00:30 BST to 03:00 GMT is 3h30 long", Sunday(0, 30, 3, 0), "2026-10-25", "2026-10-24T23:30:00Z", "2026-10-25T03:00:00Z" },
        { "fall back: an ambiguous start takes the earlier (BST) instant, an ambiguous end the later (GMT)", Sunday(1, 15, 1, 45), "2026-10-25", "2026-10-25T00:15:00Z", "2026-10-25T01:45:00Z" },
        { "an ordinary winter Sunday: local is UTC", Sunday(0, 30, 3, 0), "2026-11-01", "2026-11-01T00:30:00Z", "2026-11-01T03:00:00Z" },
        { "an ordinary summer Sunday: local is UTC+1", Sunday(0, 30, 3, 0), "2026-07-05", "2026-07-04T23:30:00Z", "2026-07-05T02:00:00Z" },
    };

    [Theory]
    [MemberData(nameof(DstCases))]
    public void Occurrence_AcrossDstChanges_IsNeverShorterThanWritten(string rule, WeeklyFreezeWindow window, string day, string start, string end)
    {
        var interval = FreezeCalendar.Occurrence(window, DateOnly.ParseExact(day, "yyyy-MM-dd", CultureInfo.InvariantCulture));

        interval.ShouldNotBeNull(rule);
        interval.Value.Start.ShouldBe(At(start), rule);
        interval.Value.End.ShouldBe(At(end), rule);

        // The calendar agrees at the edges: open a tick before, frozen from the start to the last tick, open at the end.
        FreezeCalendar.At([window], At(start).AddTicks(-1)).IsFrozen.ShouldBeFalse(rule);
        FreezeCalendar.At([window], At(start)).EndsAt.ShouldBe(At(end), rule);
        FreezeCalendar.At([window], At(end).AddTicks(-1)).IsFrozen.ShouldBeTrue(rule);
        FreezeCalendar.At([window], At(end)).IsFrozen.ShouldBeFalse(rule);
    }

    [Fact]
    public void Occurrence_OnADayNotListed_IsNone() =>
        FreezeCalendar.Occurrence(FridayEvening, new DateOnly(2026, 11, 26)).ShouldBeNull();

    public static TheoryData<string, FreezeWindow[], string, string, string?> ChainCases => new()
    {
        // case, windows, now, EndsAt, reason of the window reported
        {
            "an absolute window overlapping Friday evening: frozen until the weekly one ends",
            [new AbsoluteFreezeWindow(At("2026-11-27T12:00:00Z"), At("2026-11-27T17:00:00Z"), "release freeze"), FridayEvening],
            "2026-11-27T13:00:00Z", "2026-11-28T00:00:00Z", "release freeze"
        },
        {
            "an absolute window ending exactly when Friday evening starts chains into it",
            [new AbsoluteFreezeWindow(At("2026-11-27T12:00:00Z"), At("2026-11-27T16:00:00Z"), "release freeze"), FridayEvening],
            "2026-11-27T13:00:00Z", "2026-11-28T00:00:00Z", "release freeze"
        },
        {
            "an absolute window ending a second before Friday evening does not chain",
            [new AbsoluteFreezeWindow(At("2026-11-27T12:00:00Z"), At("2026-11-27T15:59:59Z"), "release freeze"), FridayEvening],
            "2026-11-27T13:00:00Z", "2026-11-27T15:59:59Z", "release freeze"
        },
        {
            "inside Friday evening, an absolute window starting at midnight extends it",
            [FridayEvening, new AbsoluteFreezeWindow(At("2026-11-28T00:00:00Z"), At("2026-11-30T09:00:00Z"), "migration")],
            "2026-11-27T20:00:00Z", "2026-11-30T09:00:00Z", "no Friday-evening deploys"
        },
        {
            "three windows in a row chain to the last one's end",
            [
                FridayEvening,
                new WeeklyFreezeWindow([DayOfWeek.Saturday], new TimeOnly(0, 0), new TimeOnly(8, 0), London, "saturday morning"),
                new AbsoluteFreezeWindow(At("2026-11-28T07:00:00Z"), At("2026-11-28T12:00:00Z"), "data centre move"),
            ],
            "2026-11-27T18:00:00Z", "2026-11-28T12:00:00Z", "no Friday-evening deploys"
        },
        {
            "when two windows are in force, the first in policy order is reported",
            [FridayEvening, new AbsoluteFreezeWindow(At("2026-11-27T12:00:00Z"), At("2026-11-27T20:00:00Z"), "release freeze")],
            "2026-11-27T18:00:00Z", "2026-11-28T00:00:00Z", "no Friday-evening deploys"
        },
    };

    [Theory]
    [MemberData(nameof(ChainCases))]
    public void At_OverlappingOrTouchingWindows_EndWhenTheLastOneEnds(string rule, FreezeWindow[] windows, string now, string endsAt, string? reason)
    {
        var status = FreezeCalendar.At(windows, At(now));

        status.IsFrozen.ShouldBeTrue(rule);
        status.EndsAt.ShouldBe(At(endsAt), rule);
        status.Reason.ShouldBe(reason, rule);
    }

    [Fact]
    public void At_AWindowCoveringTheWholeWeek_StopsAtTheHorizon()
    {
        var always = new WeeklyFreezeWindow(Enum.GetValues<DayOfWeek>(), new TimeOnly(0, 0), new TimeOnly(23, 59), London, "frozen");
        var now = At("2026-11-27T12:00:00Z");

        var status = FreezeCalendar.At([always], now);

        status.IsFrozen.ShouldBeTrue();
        status.EndsAt.ShouldBeGreaterThanOrEqualTo(now + FreezeCalendar.ChainHorizon);
        status.EndsAt.ShouldBeLessThan(now + FreezeCalendar.ChainHorizon + TimeSpan.FromDays(2));
    }

    [Fact]
    public void Evaluate_InsideAWindow_IsDeferredUntilItEnds_ThenPasses()
    {
        var rules = Rules(FridayEvening);

        var during = FreezeCheck.Evaluate("production", rules, At("2026-11-27T17:00:00Z"), overrideLabel: false, approvalsCounted: 2, approvalsRequired: 2);
        var deferred = during.ShouldBeOfType<CheckOutcome.Deferred>();
        deferred.Until.ShouldBe(At("2026-11-28T00:00:00Z"));
        deferred.Reason.ShouldBe("deferred: production is frozen (no Friday-evening deploys) until 2026-11-28T00:00Z");

        var after = FreezeCheck.Evaluate("production", rules, deferred.Until, overrideLabel: false, approvalsCounted: 2, approvalsRequired: 2);
        after.ShouldBe(new CheckOutcome.Passed("production is not in a freeze window"));
    }

    [Fact]
    public void Evaluate_AWindowWithoutReason_SaysJustFrozen()
    {
        var rules = Rules(new AbsoluteFreezeWindow(At("2026-11-27T12:00:00Z"), At("2026-11-27T12:30:15Z"), null));

        var outcome = FreezeCheck.Evaluate("production", rules, At("2026-11-27T12:10:00Z"), false, 1, 1);

        outcome.ShouldBe(new CheckOutcome.Deferred("deferred: production is frozen until 2026-11-27T12:30:15Z", At("2026-11-27T12:30:15Z")));
    }

    public static TheoryData<string, bool, int, int, bool> OverrideCases => new()
    {
        // case, label, approvals counted, approvals required, deploys (with the override flag)
        { "the label with one approval more than required deploys through the freeze", true, 3, 2, true },
        { "the label with more than enough approvals deploys", true, 4, 2, true },
        { "the label with only the required approvals stays deferred", true, 2, 2, false },
        { "many approvals without the label stay deferred", false, 5, 2, false },
        { "risk-raised requirement: the override needs one more on top of it", true, 3, 3, false },
    };

    [Theory]
    [MemberData(nameof(OverrideCases))]
    public void Evaluate_OverrideLabel_NeedsOneMoreApproval(string rule, bool label, int counted, int required, bool deploys)
    {
        var now = At("2026-11-27T17:00:00Z");

        var outcome = FreezeCheck.Evaluate("production", Rules(FridayEvening), now, label, counted, required);

        if (deploys)
        {
            var passed = outcome.ShouldBeOfType<CheckOutcome.Passed>(rule);
            passed.Override.ShouldBeTrue(rule);
            passed.Summary.ShouldStartWith("freeze override: production is frozen (no Friday-evening deploys) until 2026-11-28T00:00Z", Case.Sensitive, rule);
            passed.Summary.ShouldContain(FreezeCheck.OverrideLabel, Case.Sensitive, rule);
        }
        else
        {
            var deferred = outcome.ShouldBeOfType<CheckOutcome.Deferred>(rule);
            deferred.Until.ShouldBe(At("2026-11-28T00:00:00Z"), rule);
            if (label)
            {
                deferred.Reason.ShouldContain("one more approval is needed for the override", Case.Sensitive, rule);
                deferred.Reason.ShouldContain($"({counted} of {required + 1})", Case.Sensitive, rule);
            }
            else
            {
                deferred.Reason.ShouldNotContain("override", Case.Sensitive, rule);
            }
        }
    }

    [Fact]
    public void Evaluate_OverrideLabelOutsideAFreeze_IsAnOrdinaryPassNotAnOverride()
    {
        var outcome = FreezeCheck.Evaluate("production", Rules(FridayEvening), At("2026-11-26T17:00:00Z"), overrideLabel: true, approvalsCounted: 3, approvalsRequired: 2);

        outcome.ShouldBeOfType<CheckOutcome.Passed>().Override.ShouldBeFalse();
    }

    [Fact]
    public void OverrideLabel_IsTheDocumentedName() => FreezeCheck.OverrideLabel.ShouldBe("deployguard/freeze-override");

    [Theory]
    [InlineData("23:59", "2026-11-27T23:59:59Z", true)]
    [InlineData("24:00", "2026-11-27T23:59:59Z", true)]
    [InlineData("24:00", "2026-11-28T00:00:00Z", false)]
    [InlineData("23:00", "2026-11-27T23:00:00Z", false)]
    public void ParsedPolicy_FridayWindow_EndsWhereOperatorsMeanIt(string to, string now, bool frozen)
    {
        var yaml = $$"""
            version: 1
            environments:
              production:
                freeze:
                  - { days: [fri], from: "16:00", to: "{{to}}", timezone: "Europe/London", reason: "no Friday-evening deploys" }
            apps:
              app: { repository: acme/app, pipeline: { type: command, command: deploy.sh } }
            """;
        var policy = PolicyParser.Parse(yaml);
        policy.Errors.ShouldBeEmpty();

        var outcome = FreezeCheck.Evaluate("production", policy.Policy!.RulesFor("production")!, At(now), false, 1, 1);

        (outcome is CheckOutcome.Deferred).ShouldBe(frozen);
    }
}
