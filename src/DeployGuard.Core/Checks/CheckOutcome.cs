using System.Globalization;

namespace DeployGuard.Core.Checks;

/// <summary>
/// The answer of one pure safety check (SPEC §4 steps 6–8). Which kind decides what the caller does:
/// <see cref="Failed"/> refuses the intent (recorded, not retried); <see cref="Waiting"/> records
/// nothing and asks again later; <see cref="Deferred"/> records the intent as <c>deferred</c> and
/// acts on it at <see cref="Deferred.Until"/> if it is still the newest.
/// </summary>
public abstract record CheckOutcome
{
    private CheckOutcome()
    {
    }

    /// <param name="Summary">What was verified, for plans, logs and the PR status.</param>
    /// <param name="Override">
    /// True when the check passed only because a person overrode it (the freeze-override label):
    /// the caller must record that with the outcome.
    /// </param>
    public sealed record Passed(string Summary, bool Override = false) : CheckOutcome;

    /// <summary>The rule is broken: the intent is refused with <see cref="Reason"/> among its reasons.</summary>
    public sealed record Failed(string Reason) : CheckOutcome;

    /// <summary>Not yet (a soak still running): nothing is recorded; evaluate again, at <see cref="Until"/> when known.</summary>
    public sealed record Waiting(string Reason, DateTimeOffset? Until = null) : CheckOutcome;

    /// <summary>Allowed, but not now (a freeze window): recorded as <c>deferred</c>, acted on at <see cref="Until"/>.</summary>
    public sealed record Deferred(string Reason, DateTimeOffset Until) : CheckOutcome;
}

/// <summary>How check reasons write instants, durations and commits, so every reason reads the same.</summary>
public static class CheckText
{
    /// <summary>UTC ISO 8601: <c>2026-11-27T23:59Z</c>, with seconds only when the instant has them.</summary>
    public static string Utc(DateTimeOffset instant)
    {
        var utc = instant.ToUniversalTime();
        var format = utc.Ticks % TimeSpan.TicksPerMinute == 0 ? "yyyy-MM-dd'T'HH:mm'Z'" : "yyyy-MM-dd'T'HH:mm:ss'Z'";
        return utc.ToString(format, CultureInfo.InvariantCulture);
    }

    /// <summary>"30 minutes", "1 hour 30 minutes", "2 days", "45 seconds"; zero is "0 seconds".</summary>
    public static string Duration(TimeSpan span)
    {
        if (span < TimeSpan.Zero)
        {
            span = TimeSpan.Zero;
        }

        var parts = new List<string>(4);
        Add(parts, span.Days, "day");
        Add(parts, span.Hours, "hour");
        Add(parts, span.Minutes, "minute");
        Add(parts, span.Seconds, "second");
        return parts.Count == 0 ? "0 seconds" : string.Join(' ', parts);

        static void Add(List<string> parts, int value, string unit)
        {
            if (value > 0)
            {
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"{value} {unit}{(value == 1 ? "" : "s")}"));
            }
        }
    }

    /// <summary>An elapsed time as people say it: whole minutes once past a minute ("10 minutes", not "10 minutes 7 seconds").</summary>
    public static string Elapsed(TimeSpan span) =>
        Duration(span >= TimeSpan.FromMinutes(1) ? TimeSpan.FromTicks(span.Ticks - (span.Ticks % TimeSpan.TicksPerMinute)) : span);
}
