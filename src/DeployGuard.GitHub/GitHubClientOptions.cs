using System.ComponentModel.DataAnnotations;

namespace DeployGuard.GitHub;

/// <summary>
/// How DeployGuard talks to GitHub. Bound from <c>DeployGuard:GitHub</c> (SPEC §7), so the stable keys
/// <c>ApiUrl</c>, <c>Token</c>, <c>TokenFile</c>, <c>AppId</c>, <c>PrivateKeyFile</c> and <c>InstallationId</c>
/// land here directly; the rest are tuning knobs with safe defaults.
/// </summary>
public sealed class GitHubClientOptions
{
    public const string Section = "DeployGuard:GitHub";

    /// <summary>REST base URL: <c>https://api.github.com/</c>, or <c>https://HOST/api/v3/</c> for GitHub Enterprise Server.</summary>
    [Required]
    public string ApiUrl { get; set; } = "https://api.github.com/";

    /// <summary>A token (fine-grained PAT or any bearer token). A secret: set it from the environment, never in committed files.</summary>
    public string? Token { get; set; }

    /// <summary>A file holding the token; re-read once after GitHub answers 401, so a rotated token is picked up.</summary>
    public string? TokenFile { get; set; }

    /// <summary>GitHub App ID; with <see cref="PrivateKeyFile"/> and <see cref="InstallationId"/> DeployGuard authenticates as the App.</summary>
    public long? AppId { get; set; }

    /// <summary>The App's PEM private key file.</summary>
    public string? PrivateKeyFile { get; set; }

    public long? InstallationId { get; set; }

    /// <summary>Items per page on list calls (GitHub's maximum is 100).</summary>
    [Range(1, 100)]
    public int PageSize { get; set; } = 100;

    /// <summary>Retries after the first attempt, for transient failures only (5xx, timeouts, rate limits).</summary>
    [Range(0, 20)]
    public int MaxRetryAttempts { get; set; } = 5;

    /// <summary>Total time one client call may take, waits included. A retry that would end later is not attempted.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RetryBudget { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Longest wait for the primary rate limit's reset. Further away, the call fails at once with
    /// <see cref="GitHubRateLimitException"/>: the caller keeps the intent waiting and tries next loop. (A secondary
    /// limit's <c>retry-after</c> is waited for when it fits <see cref="RetryBudget"/>.)
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan MaxRateLimitWait { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>First backoff after a 5xx or a timeout; doubles per attempt, with jitter.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Cap on one exponential backoff step.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Timeout of one HTTP attempt (real time: it bounds the network, not the business clock).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many GET answers are kept for conditional requests (ETag); the oldest is evicted first.</summary>
    [Range(0, 100_000)]
    public int ETagCacheSize { get; set; } = 1000;

    /// <summary>The base URL with exactly one trailing slash, so relative paths keep GHES's <c>/api/v3/</c>.</summary>
    public Uri GetBaseUri()
    {
        var uri = new Uri(ApiUrl, UriKind.Absolute);
        var path = uri.GetLeftPart(UriPartial.Path);
        return new Uri(path.EndsWith('/') ? path : path + "/");
    }

    public override string ToString() =>
        $"GitHub {{ ApiUrl = {ApiUrl}, Auth = {(AppId is not null ? $"App {AppId} installation {InstallationId}" : TokenFile is not null ? "token file" : Token is not null ? "token ***" : "none")} }}";
}
