using System.Diagnostics.CodeAnalysis;
using DeployGuard.Core.Policy;

namespace DeployGuard.Core.Checks;

/// <summary>One occurrence of a freeze window: the half-open interval [Start, End) in absolute time.</summary>
public readonly record struct FreezeInterval(DateTimeOffset Start, DateTimeOffset End)
{
    public bool Contains(DateTimeOffset instant) => Start <= instant && instant < End;
}

/// <summary>Whether an environment is frozen at an instant, by which window, and until when.</summary>
public sealed record FreezeStatus
{
    private FreezeStatus(FreezeWindow? window, DateTimeOffset endsAt)
    {
        Window = window;
        EndsAt = endsAt;
    }

    /// <summary>No window is in force.</summary>
    public static FreezeStatus Open { get; } = new(null, default);

    /// <summary>The window in force; when several are, the first in policy order.</summary>
    public FreezeWindow? Window { get; }

    [MemberNotNullWhen(true, nameof(Window))]
    public bool IsFrozen => Window is not null;

    public string? Reason => Window?.Reason;

    /// <summary>
    /// When frozen: the instant deploys may resume, i.e. the end of the last window in the chain of
    /// windows that overlap or touch the current one. Meaningless when not frozen.
    /// </summary>
    public DateTimeOffset EndsAt { get; }

    public static FreezeStatus Frozen(FreezeWindow window, DateTimeOffset endsAt)
    {
        ArgumentNullException.ThrowIfNull(window);
        return new(window, endsAt);
    }
}

/// <summary>
/// Turns the policy's freeze windows into absolute instants. Pure: the time zone rules come from the
/// system's time zone database (IANA ids on Linux), the instant from the caller.
/// </summary>
/// <remarks>
/// Decisions (documented in docs/policy.md):
/// <list type="bullet">
/// <item>A weekly window runs [from, to) from its listed day; <c>to</c> at or before <c>from</c> runs past
/// midnight into the next day.</item>
/// <item><c>to: "23:59"</c> (and <c>"24:00"</c>) means "until midnight": operators write 23:59 for the end of
/// the day, and a window that let deploys through in the last minute of Friday would surprise them.</item>
/// <item>DST: a local time the clocks skip (spring forward) is the instant they jump to; an ambiguous local
/// time (fall back) is the earlier instant for <c>from</c> and the later one for <c>to</c>, so a window is
/// never shorter than written.</item>
/// </list>
/// </remarks>
public static class FreezeCalendar
{
    /// <summary>
    /// How far ahead a chain of touching windows is followed. A policy frozen every hour of every day
    /// would chain forever; past this the deploy is deferred to the horizon and looked at again then.
    /// </summary>
    public static TimeSpan ChainHorizon { get; } = TimeSpan.FromDays(400);

    /// <summary>The freeze state at <paramref name="now"/>.</summary>
    public static FreezeStatus At(IReadOnlyList<FreezeWindow> windows, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(windows);
        FreezeWindow? current = null;
        var endsAt = now;
        foreach (var window in windows)
        {
            foreach (var interval in OccurrencesAround(window, now))
            {
                if (interval.Contains(now))
                {
                    current ??= window;
                    endsAt = interval.End > endsAt ? interval.End : endsAt;
                }
            }
        }

        if (current is null)
        {
            return FreezeStatus.Open;
        }

        // Follow the chain: any window in force at the instant the current ones end (one starting
        // exactly then included) pushes the end further. Deploying in the gap of zero length between
        // two touching windows would be deploying inside a freeze.
        var horizon = now + ChainHorizon;
        while (endsAt < horizon)
        {
            var next = endsAt;
            foreach (var window in windows)
            {
                foreach (var interval in OccurrencesAround(window, endsAt))
                {
                    if (interval.Contains(endsAt) && interval.End > next)
                    {
                        next = interval.End;
                    }
                }
            }

            if (next == endsAt)
            {
                break;
            }

            endsAt = next;
        }

        return FreezeStatus.Frozen(current, endsAt);
    }

    /// <summary>
    /// The occurrence of <paramref name="window"/> that starts on the local <paramref name="day"/>, in
    /// absolute time; null when the window does not run that day (or is empty once DST is applied).
    /// </summary>
    public static FreezeInterval? Occurrence(WeeklyFreezeWindow window, DateOnly day)
    {
        ArgumentNullException.ThrowIfNull(window);
        if (!window.Days.Contains(day.DayOfWeek))
        {
            return null;
        }

        var zone = TimeZoneInfo.FindSystemTimeZoneById(window.TimeZone);
        var startLocal = window.From == TimeOnly.MaxValue ? day.AddDays(1).ToDateTime(TimeOnly.MinValue) : day.ToDateTime(window.From);
        var endLocal = IsEndOfDay(window.To) ? day.AddDays(1).ToDateTime(TimeOnly.MinValue)
            : window.To <= window.From ? day.AddDays(1).ToDateTime(window.To)
            : day.ToDateTime(window.To);
        var start = ToInstant(zone, startLocal, earlier: true);
        var end = ToInstant(zone, endLocal, earlier: false);
        return end > start ? new FreezeInterval(start, end) : null;
    }

    /// <summary>"23:59" (or "24:00", parsed as the last tick of the day) ends a window at midnight.</summary>
    public static bool IsEndOfDay(TimeOnly to) => to >= new TimeOnly(23, 59);

    /// <summary>Every occurrence of <paramref name="window"/> that could contain <paramref name="instant"/>.</summary>
    private static IEnumerable<FreezeInterval> OccurrencesAround(FreezeWindow window, DateTimeOffset instant)
    {
        switch (window)
        {
            case AbsoluteFreezeWindow absolute:
                yield return new FreezeInterval(absolute.Start, absolute.End);
                break;

            case WeeklyFreezeWindow weekly:
                // An occurrence lasts at most a day and a DST hour, so one containing the instant starts
                // on the local day before, the day itself, or (zones whose clocks change at midnight) after.
                var zone = TimeZoneInfo.FindSystemTimeZoneById(weekly.TimeZone);
                var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, zone).DateTime);
                for (var offset = -1; offset <= 1; offset++)
                {
                    if (Occurrence(weekly, today.AddDays(offset)) is { } interval)
                    {
                        yield return interval;
                    }
                }

                break;
        }
    }

    /// <summary>A local wall-clock time in <paramref name="zone"/> as an instant, resolving DST gaps and overlaps.</summary>
    private static DateTimeOffset ToInstant(TimeZoneInfo zone, DateTime local, bool earlier)
    {
        if (zone.IsInvalidTime(local))
        {
            return GapEnd(zone, local);
        }

        if (zone.IsAmbiguousTime(local))
        {
            var offsets = zone.GetAmbiguousTimeOffsets(local);
            // The larger offset is the earlier instant (still on daylight time).
            var offset = earlier ? offsets.Max() : offsets.Min();
            return new DateTimeOffset(local, offset).ToUniversalTime();
        }

        return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
    }

    /// <summary>
    /// For a local time inside a spring-forward gap: the instant the clocks jump, i.e. the first
    /// instant whose local time is past <paramref name="local"/>. Found by bisection between the
    /// readings with the offsets of the day before and the day after, which bracket the transition.
    /// </summary>
    private static DateTimeOffset GapEnd(TimeZoneInfo zone, DateTime local)
    {
        var before = zone.GetUtcOffset(local.AddDays(-1));
        var after = zone.GetUtcOffset(local.AddDays(1));
        var lo = (local - (before > after ? before : after)).Ticks; // local time there is before the gap
        var hi = (local - (before > after ? after : before)).Ticks; // local time there is after it
        while (hi - lo > 1)
        {
            var mid = lo + ((hi - lo) / 2);
            var reading = TimeZoneInfo.ConvertTime(new DateTimeOffset(mid, TimeSpan.Zero), zone).DateTime;
            if (reading > local)
            {
                hi = mid;
            }
            else
            {
                lo = mid;
            }
        }

        return new DateTimeOffset(hi, TimeSpan.Zero);
    }
}

/// <summary>
/// SPEC §4 step 7: inside a freeze window the intent is deferred, not refused, and acted on when the
/// window (and any window chained to it) ends. A pull request labelled <see cref="OverrideLabel"/>
/// with one approval more than required deploys anyway, and says so.
/// </summary>
public static class FreezeCheck
{
    /// <summary>The pull-request label that asks to deploy through a freeze.</summary>
    public const string OverrideLabel = "deployguard/freeze-override";

    /// <summary>Approvals a freeze override needs on top of those the deploy needs anyway.</summary>
    public const int OverrideExtraApprovals = 1;

    /// <param name="environment">The environment deployed to, named in the reasons.</param>
    /// <param name="rules">The environment's rules; only <see cref="EffectiveRules.Freeze"/> is read.</param>
    /// <param name="now">The instant judged.</param>
    /// <param name="overrideLabel">Whether the pull request carries <see cref="OverrideLabel"/>.</param>
    /// <param name="approvalsCounted">Approvals that count (as the approval check counted them).</param>
    /// <param name="approvalsRequired">Approvals the deploy needs without the override (min_approvals plus any risk extra).</param>
    public static CheckOutcome Evaluate(
        string environment, EffectiveRules rules, DateTimeOffset now, bool overrideLabel, int approvalsCounted, int approvalsRequired)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(rules);
        var status = FreezeCalendar.At(rules.Freeze, now);
        if (!status.IsFrozen)
        {
            return new CheckOutcome.Passed(NotFrozen(environment));
        }

        if (!overrideLabel)
        {
            return new CheckOutcome.Deferred(Frozen(environment, status), status.EndsAt);
        }

        var needed = approvalsRequired + OverrideExtraApprovals;
        return approvalsCounted >= needed
            ? new CheckOutcome.Passed(Overridden(environment, status, approvalsCounted, approvalsRequired), Override: true)
            : new CheckOutcome.Deferred(OverrideNeedsApproval(environment, status, approvalsCounted, approvalsRequired), status.EndsAt);
    }

    public static string NotFrozen(string environment) => $"{environment} is not in a freeze window";

    /// <summary>"deferred: production is frozen (no Friday-evening deploys) until 2026-11-28T00:00Z".</summary>
    public static string Frozen(string environment, FreezeStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        return $"deferred: {environment} is frozen{Why(status)} until {CheckText.Utc(status.EndsAt)}";
    }

    public static string OverrideNeedsApproval(string environment, FreezeStatus status, int approvalsCounted, int approvalsRequired) =>
        $"{Frozen(environment, status)}; the {OverrideLabel} label needs one more approval than required " +
        $"({approvalsCounted} of {approvalsRequired + OverrideExtraApprovals}): one more approval is needed for the override";

    public static string Overridden(string environment, FreezeStatus status, int approvalsCounted, int approvalsRequired)
    {
        ArgumentNullException.ThrowIfNull(status);
        return $"freeze override: {environment} is frozen{Why(status)} until {CheckText.Utc(status.EndsAt)}, " +
               $"deployed anyway with the {OverrideLabel} label and {approvalsCounted} approvals ({approvalsRequired} required + {OverrideExtraApprovals})";
    }

    private static string Why(FreezeStatus status) => status.Reason is { Length: > 0 } reason ? $" ({reason})" : "";
}
