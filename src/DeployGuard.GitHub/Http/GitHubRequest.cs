using System.Net;

namespace DeployGuard.GitHub.Http;

/// <summary>One HTTP request of a client call. <see cref="Operation"/> and <see cref="Path"/> name it in logs and errors.</summary>
internal sealed record GitHubRequest(string Operation, HttpMethod Method, Uri Uri, string Path)
{
    public byte[]? JsonBody { get; init; }

    public string? IfNoneMatch { get; init; }

    public override string ToString() => $"{Operation}: {Method} {Path}";
}

/// <summary>GitHub's answer to one request, body read.</summary>
internal sealed record GitHubResponse(
    HttpStatusCode StatusCode,
    string? ReasonPhrase,
    byte[] Body,
    string? ETag,
    Uri? NextPage,
    RateLimitInfo RateLimit,
    TimeSpan? RetryAfter)
{
    public bool IsSuccess => (int)StatusCode is >= 200 and < 300;
}

/// <summary>
/// The <c>x-ratelimit-*</c> headers of one answer. GitHub counts per token and per resource
/// (<c>core</c> for everything DeployGuard calls); <see cref="ResetAt"/> is when the hourly window refills.
/// </summary>
internal readonly record struct RateLimitInfo(int? Limit, int? Remaining, DateTimeOffset? ResetAt, string? Resource)
{
    public bool IsKnown => Remaining is not null && ResetAt is not null;
}
