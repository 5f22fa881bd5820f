using System.Net;

namespace DeployGuard.GitHub;

/// <summary>
/// A GitHub call that did not produce an answer DeployGuard can use. Messages never contain a
/// token. Only <see cref="IsTransient"/> failures are retried.
/// </summary>
public class GitHubException : Exception
{
    public GitHubException()
    {
    }

    public GitHubException(string message)
        : base(message)
    {
    }

    public GitHubException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public GitHubException(string message, HttpStatusCode? status, Exception? inner = null)
        : base(message, inner) => StatusCode = status;

    public HttpStatusCode? StatusCode { get; }

    /// <summary>Worth another try later: server errors, timeouts, rate limits.</summary>
    public virtual bool IsTransient => false;
}

/// <summary>404: the resource does not exist or the token may not see it.</summary>
public sealed class GitHubNotFoundException(string message) : GitHubException(message, HttpStatusCode.NotFound);

/// <summary>401: the token is missing, wrong or expired.</summary>
public sealed class GitHubUnauthorizedException(string message) : GitHubException(message, HttpStatusCode.Unauthorized);

/// <summary>403 that is not a rate limit: the token lacks a permission.</summary>
public sealed class GitHubForbiddenException(string message) : GitHubException(message, HttpStatusCode.Forbidden);

/// <summary>422: GitHub rejected the request's content.</summary>
public sealed class GitHubValidationException(string message) : GitHubException(message, HttpStatusCode.UnprocessableEntity);

/// <summary>5xx, a timeout or a connection failure: GitHub could not answer now.</summary>
public sealed class GitHubUnavailableException(string message, HttpStatusCode? status = null, Exception? inner = null)
    : GitHubException(message, status, inner)
{
    public override bool IsTransient => true;
}

/// <summary>
/// A primary rate limit (the hourly budget is spent; <see cref="ResetAt"/> says when it refills) or a
/// secondary one (too many requests too fast; <see cref="RetryAfter"/> says how long to wait).
/// </summary>
public sealed class GitHubRateLimitException(string message, HttpStatusCode status, bool secondary, DateTimeOffset? resetAt, TimeSpan? retryAfter)
    : GitHubException(message, status)
{
    public bool IsSecondary { get; } = secondary;

    public DateTimeOffset? ResetAt { get; } = resetAt;

    public TimeSpan? RetryAfter { get; } = retryAfter;

    public override bool IsTransient => true;
}
