using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace DeployGuard.Sandbox;

/// <summary>What the <c>x-ratelimit-*</c> headers and <c>GET /rate_limit</c> show for one caller.</summary>
internal readonly record struct RateLimitView(int Limit, int Used, DateTimeOffset Reset)
{
    public int Remaining => Math.Max(0, Limit - Used);

    public void WriteHeaders(IHeaderDictionary headers)
    {
        headers["x-ratelimit-limit"] = Limit.ToString(CultureInfo.InvariantCulture);
        headers["x-ratelimit-remaining"] = Remaining.ToString(CultureInfo.InvariantCulture);
        headers["x-ratelimit-reset"] = Reset.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        headers["x-ratelimit-used"] = Used.ToString(CultureInfo.InvariantCulture);
        headers["x-ratelimit-resource"] = "core";
    }
}

/// <summary>
/// GitHub's primary rate limit: a budget per caller (token, or app for JWT calls) for a one-hour
/// window that starts with the caller's first request. A request reserves one unit before it is
/// handled, so concurrent requests can never overspend; answers that do not count (304, /rate_limit)
/// give theirs back.
/// </summary>
internal sealed class RateLimits(TimeProvider time, int limit)
{
    /// <summary>GitHub's limit for unauthenticated callers, shown on 401 answers.</summary>
    public const int AnonymousLimit = 60;

    private static readonly TimeSpan Window = TimeSpan.FromHours(1);
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);

    /// <summary>Takes one unit; false (and nothing taken) when the window's budget is spent.</summary>
    public bool TryConsume(string key, out RateLimitView view)
    {
        lock (_lock)
        {
            var bucket = Current(key);
            if (bucket.Used >= limit)
            {
                view = new RateLimitView(limit, bucket.Used, bucket.Reset);
                return false;
            }

            bucket.Used++;
            view = new RateLimitView(limit, bucket.Used, bucket.Reset);
            return true;
        }
    }

    public void Refund(string key)
    {
        lock (_lock)
        {
            var bucket = Current(key);
            bucket.Used = Math.Max(0, bucket.Used - 1);
        }
    }

    public RateLimitView Peek(string key)
    {
        lock (_lock)
        {
            var bucket = Current(key);
            return new RateLimitView(limit, bucket.Used, bucket.Reset);
        }
    }

    public RateLimitView Anonymous() => new(AnonymousLimit, 0, WindowEnd(time.GetUtcNow()));

    private Bucket Current(string key)
    {
        var now = time.GetUtcNow();
        if (!_buckets.TryGetValue(key, out var bucket) || now >= bucket.Reset)
        {
            bucket = new Bucket { Reset = WindowEnd(now) };
            _buckets[key] = bucket;
        }

        return bucket;
    }

    // The header carries whole unix seconds; rounding up keeps "reset" from ever lying early.
    private static DateTimeOffset WindowEnd(DateTimeOffset now) =>
        DateTimeOffset.FromUnixTimeSeconds((long)Math.Ceiling((now + Window).ToUnixTimeMilliseconds() / 1000.0));

    private sealed class Bucket
    {
        public DateTimeOffset Reset { get; init; }

        public int Used { get; set; }
    }
}
