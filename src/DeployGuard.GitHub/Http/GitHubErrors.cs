using System.Net;
using System.Text.Json;
using DeployGuard.GitHub.Serialization;

namespace DeployGuard.GitHub.Http;

/// <summary>
/// Turns a failed answer into one of the typed <see cref="GitHubException"/>s. Rate limits are told apart the way
/// GitHub documents them ("Rate limits for the REST API", "Troubleshooting the REST API"): a 403 or 429 with
/// <c>retry-after</c> is a secondary limit; with <c>x-ratelimit-remaining: 0</c> a primary one, lifting at
/// <c>x-ratelimit-reset</c>; with neither, a body that names the secondary rate limit (or any 429) is a
/// secondary limit of unknown length; any other 403 is a missing permission.
/// </summary>
internal static class GitHubErrors
{
    private const int MaxMessageLength = 300;

    public static GitHubException ToException(GitHubRequest request, GitHubResponse response, string? secret)
    {
        var status = response.StatusCode;
        var code = (int)status;
        var said = GitHubMessage(response.Body, secret);
        var answer = $"{code} {response.ReasonPhrase ?? status.ToString()}{(said is null ? "" : $" ({said})")}";

        switch (status)
        {
            case HttpStatusCode.Unauthorized:
                return new GitHubUnauthorizedException($"{request}: GitHub answered {answer}: the token is missing, wrong, expired or revoked");
            case HttpStatusCode.Forbidden or HttpStatusCode.TooManyRequests:
                if (response.RetryAfter is { } retryAfter)
                {
                    return new GitHubRateLimitException($"{request}: GitHub answered {answer}: secondary rate limit, retry after {retryAfter.TotalSeconds:0} s", status, secondary: true, resetAt: null, retryAfter);
                }

                if (response.RateLimit.Remaining == 0)
                {
                    var reset = response.RateLimit.ResetAt;
                    return new GitHubRateLimitException($"{request}: GitHub answered {answer}: primary rate limit exhausted{(reset is null ? "" : $", resets at {reset:O}")}", status, secondary: false, reset, retryAfter: null);
                }

                if (status == HttpStatusCode.TooManyRequests || NamesSecondaryLimit(said))
                {
                    return new GitHubRateLimitException($"{request}: GitHub answered {answer}: secondary rate limit", status, secondary: true, resetAt: null, retryAfter: null);
                }

                return new GitHubForbiddenException($"{request}: GitHub answered {answer}: the token lacks a permission for this call (see docs/github.md)");
            case HttpStatusCode.NotFound:
                return new GitHubNotFoundException($"{request}: GitHub answered {answer}: it does not exist or the token cannot see it");
            case HttpStatusCode.UnprocessableEntity:
                return new GitHubValidationException($"{request}: GitHub answered {answer}");
            case HttpStatusCode.RequestTimeout:
                return new GitHubUnavailableException($"{request}: GitHub answered {answer}", status);
            default:
                return code >= 500
                    ? new GitHubUnavailableException($"{request}: GitHub answered {answer}", status)
                    : new GitHubException($"{request}: GitHub answered {answer}", status);
        }
    }

    /// <summary>A 2xx whose body is not what the contract says.</summary>
    public static GitHubException Unreadable(GitHubRequest request, Exception inner) =>
        new($"{request}: GitHub's answer could not be read as the documented JSON: {inner.Message}", inner);

    private static bool NamesSecondaryLimit(string? message) =>
        message is not null &&
        (message.Contains("secondary rate limit", StringComparison.OrdinalIgnoreCase) ||
         message.Contains("abuse detection", StringComparison.OrdinalIgnoreCase));

    /// <summary>GitHub's own <c>message</c>, shortened, with the token masked should it ever be echoed.</summary>
    private static string? GitHubMessage(byte[] body, string? secret)
    {
        if (body.Length == 0)
        {
            return null;
        }

        string? message;
        try
        {
            message = JsonSerializer.Deserialize(body, GitHubJsonContext.Default.GitHubErrorBody)?.Message;
        }
        catch (JsonException)
        {
            message = null;
        }

        if (string.IsNullOrWhiteSpace(message))
        {
            return null;
        }

        message = message.ReplaceLineEndings(" ").Trim();
        if (!string.IsNullOrEmpty(secret))
        {
            message = message.Replace(secret, "***", StringComparison.Ordinal);
        }

        return message.Length <= MaxMessageLength ? message : message[..MaxMessageLength] + "…";
    }
}
