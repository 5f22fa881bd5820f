using System.Globalization;
using System.Text.Json.Nodes;

namespace DeployGuard.Sandbox;

/// <summary>
/// An answer to give instead of the normal one: <paramref name="Status"/> with <see cref="Headers"/>
/// and <see cref="Body"/>, after <see cref="Delay"/>, for the next <paramref name="Times"/> matching
/// requests. A <paramref name="Status"/> of 0 only delays: the request is then handled normally
/// (a slow GitHub rather than a failing one).
/// </summary>
public sealed record EmulatorFault(int Status, int Times = 1)
{
    /// <summary>The secondary-rate-limit message GitHub sends (Octokit tells the two limits apart by it).</summary>
    internal const string SecondaryRateLimitMessage = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.";

    internal const string PrimaryRateLimitDocs = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit";

    internal const string SecondaryRateLimitDocs = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits";

    /// <summary>Waited before answering, in real time: client timeouts are measured on the wall clock.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>Headers added to the answer; they override the emulator's own (rate-limit headers included).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>The body as sent; when null, an error status gets GitHub's <c>{"message","documentation_url"}</c> shape.</summary>
    public string? Body { get; init; }

    /// <summary>The primary limit is spent: 403, <c>x-ratelimit-remaining: 0</c> and the window's reset time.</summary>
    public static EmulatorFault PrimaryRateLimit(DateTimeOffset resetAt, int times = 1) => new(403, times)
    {
        Headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["x-ratelimit-remaining"] = "0",
            ["x-ratelimit-reset"] = resetAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
        },
        Body = ErrorBody("API rate limit exceeded for user ID 1.", PrimaryRateLimitDocs),
    };

    /// <summary>Too many requests too fast: 403 with <c>retry-after</c> and GitHub's secondary-limit message.</summary>
    public static EmulatorFault SecondaryRateLimit(int retryAfterSeconds, int times = 1) => new(403, times)
    {
        Headers = RetryAfter(retryAfterSeconds),
        Body = ErrorBody(SecondaryRateLimitMessage, SecondaryRateLimitDocs),
    };

    /// <summary>429 with <c>retry-after</c>, which GitHub also uses for secondary limits.</summary>
    public static EmulatorFault TooManyRequests(int retryAfterSeconds, int times = 1) => new(429, times)
    {
        Headers = RetryAfter(retryAfterSeconds),
        Body = ErrorBody(SecondaryRateLimitMessage, SecondaryRateLimitDocs),
    };

    internal static string ErrorBody(string message, string documentationUrl) =>
        new JsonObject { ["message"] = message, ["documentation_url"] = documentationUrl }.ToJsonString();

    private static Dictionary<string, string> RetryAfter(int seconds) => new(StringComparer.OrdinalIgnoreCase)
    {
        ["retry-after"] = seconds.ToString(CultureInfo.InvariantCulture),
    };
}
