using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace DeployGuard.GitHub.Resilience;

/// <summary>
/// When a failed call is tried again, and after how long. Only <see cref="GitHubException.IsTransient"/> failures
/// are retried. The wait is what GitHub asked for when it said (<c>retry-after</c>; the primary limit's reset),
/// at least a minute, doubling, for a secondary limit that did not say, and otherwise exponential backoff with
/// jitter. A wait that would outlast <see cref="GitHubClientOptions.RetryBudget"/>, or a primary reset further away
/// than <see cref="GitHubClientOptions.MaxRateLimitWait"/>, is not waited for: the call fails closed at once.
/// </summary>
internal sealed class GitHubRetryPolicy
{
    /// <summary>The call being retried: the retry budget runs from its start.</summary>
    public static readonly ResiliencePropertyKey<GitHubCall> CallKey = new("DeployGuard.GitHub.Call");

    /// <summary>GitHub's reset is in whole seconds and our clock is not GitHub's: wait a second past it.</summary>
    public static readonly TimeSpan ResetMargin = TimeSpan.FromSeconds(1);

    /// <summary>GitHub: "Otherwise, wait for at least one minute before retrying."</summary>
    public static readonly TimeSpan SecondaryLimitMinimumWait = TimeSpan.FromMinutes(1);

    private static readonly ResiliencePropertyKey<TimeSpan> DelayKey = new("DeployGuard.GitHub.RetryDelay");

    private readonly GitHubClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<double> _random;

    public GitHubRetryPolicy(GitHubClientOptions options, TimeProvider time, ILogger logger, Func<double>? random = null)
    {
        _options = options;
        _time = time;
        _logger = logger;
        _random = random ?? Random.Shared.NextDouble;

        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (options.MaxRetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxRetryAttempts,
                ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Outcome.Exception, args.AttemptNumber, args.Context)),
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(args.Context.Properties.TryGetValue(DelayKey, out var delay) ? delay : null),
                OnRetry = args =>
                {
                    var call = args.Context.Properties.GetValue(CallKey, GitHubCall.Unknown);
                    var error = args.Outcome.Exception as GitHubException;
                    _logger.LogWarning(
                        "GitHub {Operation} attempt failed: {Reason}; retry {Retry} of {MaxRetries} in {RetryDelay}",
                        call.Operation,
                        error?.Message ?? args.Outcome.Exception?.GetType().Name,
                        args.AttemptNumber + 1,
                        _options.MaxRetryAttempts,
                        args.RetryDelay);
                    if (!ReferenceEquals(call, GitHubCall.Unknown))
                    {
                        call.Retries++;
                    }

                    return default;
                },
            });
        }

        Pipeline = builder.Build();
    }

    public ResiliencePipeline Pipeline { get; }

    public GitHubCall StartCall(string operation) => new(operation, _time.GetTimestamp());

    /// <summary>How long to wait before attempt <paramref name="attempt"/> + 1, or why not to retry.</summary>
    public RetryDecision Decide(GitHubException error, int attempt, GitHubCall call)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (!error.IsTransient)
        {
            return RetryDecision.No("not transient");
        }

        TimeSpan delay;
        if (error is GitHubRateLimitException limit)
        {
            if (limit.RetryAfter is { } retryAfter)
            {
                delay = retryAfter;
            }
            else if (!limit.IsSecondary && limit.ResetAt is { } reset)
            {
                return DecideWait(Max(reset - _time.GetUtcNow(), TimeSpan.Zero) + ResetMargin, call, primary: true);
            }
            else
            {
                delay = SecondaryLimitMinimumWait * Math.Pow(2, Math.Min(attempt, 10));
            }
        }
        else
        {
            var step = _options.RetryBaseDelay * Math.Pow(2, Math.Min(attempt, 20));
            var capped = step > _options.RetryMaxDelay ? _options.RetryMaxDelay : step;
            delay = capped * (0.5 + (_random() * 0.5));
        }

        return DecideWait(delay, call, primary: false);
    }

    /// <summary>Whether a wait of <paramref name="wait"/> fits the call's limits.</summary>
    public RetryDecision DecideWait(TimeSpan wait, GitHubCall call, bool primary)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (primary && wait > _options.MaxRateLimitWait)
        {
            return RetryDecision.No($"the primary rate limit resets in {Round(wait)}, beyond MaxRateLimitWait {_options.MaxRateLimitWait}");
        }

        var elapsed = _time.GetElapsedTime(call.StartTimestamp);
        if (elapsed + wait > _options.RetryBudget)
        {
            return RetryDecision.No($"waiting {Round(wait)} more would exceed the retry budget of {_options.RetryBudget}");
        }

        return RetryDecision.After(wait);
    }

    private bool ShouldRetry(Exception? exception, int attempt, ResilienceContext context)
    {
        // Cancellation, bugs and non-GitHub failures are never retried.
        if (exception is not GitHubException { IsTransient: true } error || context.CancellationToken.IsCancellationRequested)
        {
            return false;
        }

        var call = context.Properties.GetValue(CallKey, GitHubCall.Unknown);
        var decision = Decide(error, attempt, call);
        if (!decision.Retry)
        {
            _logger.LogWarning("GitHub {Operation} failed: {Reason}; not retried: {WhyNot}", call.Operation, error.Message, decision.WhyNot);
            return false;
        }

        context.Properties.Set(DelayKey, decision.Delay);
        return true;
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static TimeSpan Round(TimeSpan t) => TimeSpan.FromSeconds(Math.Ceiling(t.TotalSeconds));
}

/// <summary>One client call (all its pages and retries).</summary>
internal sealed class GitHubCall(string operation, long startTimestamp)
{
    public static readonly GitHubCall Unknown = new("GitHub", 0);

    public string Operation { get; } = operation;

    public long StartTimestamp { get; } = startTimestamp;

    /// <summary>Retries so far, over all pages.</summary>
    public int Retries { get; set; }
}

internal readonly record struct RetryDecision(bool Retry, TimeSpan Delay, string? WhyNot)
{
    public static RetryDecision After(TimeSpan delay) => new(true, delay, null);

    public static RetryDecision No(string why) => new(false, TimeSpan.Zero, why);
}
