namespace DeployGuard.Sandbox;

/// <summary>How a <see cref="GitHubEmulator"/> behaves. Defaults match api.github.com.</summary>
public sealed class GitHubEmulatorOptions
{
    /// <summary>Items per page when the client sends no <c>per_page</c>; <c>per_page</c> is honoured up to 100.</summary>
    public int DefaultPageSize { get; set; } = 30;

    /// <summary><c>"/api/v3"</c> to look like GitHub Enterprise Server; empty for api.github.com.</summary>
    public string PathPrefix { get; set; } = "";

    /// <summary>The clock for rate-limit windows, token expiry, JWT checks and seeded timestamps.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>The primary rate limit: requests per token per one-hour window.</summary>
    public int RateLimit { get; set; } = 5000;

    /// <summary>How long a minted installation access token is valid (GitHub: one hour).</summary>
    public TimeSpan InstallationTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Every invalid setting at once, each naming its property; empty when all are valid.</summary>
    internal IReadOnlyList<string> Validate()
    {
        List<string> errors = [];
        if (DefaultPageSize is < 1 or > 100)
        {
            errors.Add($"{nameof(DefaultPageSize)} must be between 1 and 100 (was {DefaultPageSize})");
        }

        if (PathPrefix is null || PathPrefix.Contains('?', StringComparison.Ordinal) || PathPrefix.Contains('#', StringComparison.Ordinal))
        {
            errors.Add($"{nameof(PathPrefix)} must be a path such as \"/api/v3\" or empty");
        }

        if (TimeProvider is null)
        {
            errors.Add($"{nameof(TimeProvider)} is required");
        }

        if (RateLimit < 1)
        {
            errors.Add($"{nameof(RateLimit)} must be at least 1 (was {RateLimit})");
        }

        if (InstallationTokenLifetime <= TimeSpan.Zero)
        {
            errors.Add($"{nameof(InstallationTokenLifetime)} must be positive (was {InstallationTokenLifetime})");
        }

        return errors;
    }

    /// <summary>"" or "/segment[/segment…]" without a trailing slash, whatever slashes the caller wrote.</summary>
    internal string NormalizedPathPrefix
    {
        get
        {
            var trimmed = (PathPrefix ?? "").Trim('/');
            return trimmed.Length == 0 ? "" : "/" + trimmed;
        }
    }
}
