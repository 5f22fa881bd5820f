using System.Security.Cryptography;
using System.Text;
using DeployGuard.GitHub.Http;

namespace DeployGuard.GitHub.Resilience;

/// <summary>
/// What GitHub last said about each token's budget, so the client never sends a request it has been told will be
/// refused: while <c>remaining</c> (less the requests still in flight) is 0 and the reset is ahead, or a
/// <c>retry-after</c> has not elapsed, callers wait or fail instead of sending.
/// Tokens are keyed by a fingerprint, never by their text.
/// </summary>
internal sealed class RateLimitTracker
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, State> _states = new(StringComparer.Ordinal);

    public static string KeyFor(string token) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)), 0, 8);

    /// <summary>Reserves a send, or says until when the token is blocked and why.</summary>
    public RateLimitBlock? TryAcquire(string key, DateTimeOffset now)
    {
        lock (_lock)
        {
            var state = Get(key);
            if (state.NotBefore is { } notBefore && notBefore > now)
            {
                return new RateLimitBlock(notBefore, Secondary: true);
            }

            if (state.Remaining is { } remaining && state.ResetAt is { } reset && reset > now && remaining - state.InFlight <= 0)
            {
                return new RateLimitBlock(reset, Secondary: false);
            }

            state.InFlight++;
            return null;
        }
    }

    /// <summary>Ends a send reserved by <see cref="TryAcquire"/> and records what the answer said.</summary>
    public void Release(string key, RateLimitInfo info, DateTimeOffset? notBefore)
    {
        lock (_lock)
        {
            var state = Get(key);
            state.InFlight = Math.Max(0, state.InFlight - 1);
            if (info.IsKnown)
            {
                // Answers can arrive out of order: within one window the lower count is the newer one.
                if (state.ResetAt is null || info.ResetAt > state.ResetAt)
                {
                    state.ResetAt = info.ResetAt;
                    state.Remaining = info.Remaining;
                }
                else if (info.ResetAt == state.ResetAt)
                {
                    state.Remaining = Math.Min(state.Remaining ?? int.MaxValue, info.Remaining!.Value);
                }

                state.Limit = info.Limit ?? state.Limit;
            }

            if (notBefore is { } until && (state.NotBefore is null || until > state.NotBefore))
            {
                state.NotBefore = until;
            }
        }
    }

    /// <summary>The last known remaining budget, for logs.</summary>
    public int? Remaining(string key)
    {
        lock (_lock)
        {
            return _states.TryGetValue(key, out var state) ? state.Remaining : null;
        }
    }

    private State Get(string key)
    {
        if (!_states.TryGetValue(key, out var state))
        {
            state = new State();
            _states[key] = state;
        }

        return state;
    }

    private sealed class State
    {
        public int? Limit { get; set; }

        public int? Remaining { get; set; }

        public DateTimeOffset? ResetAt { get; set; }

        public DateTimeOffset? NotBefore { get; set; }

        public int InFlight { get; set; }
    }
}

/// <summary>A token may not send before <see cref="Until"/>.</summary>
internal readonly record struct RateLimitBlock(DateTimeOffset Until, bool Secondary);
