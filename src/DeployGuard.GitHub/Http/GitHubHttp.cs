using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using Microsoft.Extensions.Logging;

namespace DeployGuard.GitHub.Http;

/// <summary>
/// Sends one request and reads the answer: GitHub's headers, the bearer token, size-capped body, same-origin
/// redirects. No retries and no policy here; <see cref="GitHubErrors"/> turns a failed answer into an exception.
/// </summary>
internal sealed class GitHubHttp
{
    public const string ApiVersion = "2022-11-28";
    private const int MaxBodyBytes = 32 * 1024 * 1024;
    private const int MaxRedirects = 3;

    private static readonly ProductInfoHeaderValue UserAgent = new("DeployGuard", ProductVersion());
    private static readonly MediaTypeWithQualityHeaderValue Accept = new("application/vnd.github+json");

    private readonly HttpClient _http;
    private readonly TimeSpan _requestTimeout;
    private readonly ILogger _logger;

    public GitHubHttp(HttpClient http, GitHubClientOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _http = http;
        _requestTimeout = options.RequestTimeout;
        _logger = logger;
        BaseUri = options.GetBaseUri();
    }

    public Uri BaseUri { get; }

    /// <summary>A request for a path relative to <see cref="BaseUri"/> (no leading slash, so GHES's /api/v3/ is kept).</summary>
    public GitHubRequest Request(string operation, HttpMethod method, string relativePath) =>
        new(operation, method, new Uri(BaseUri, relativePath), relativePath);

    /// <summary>A request for an absolute URL GitHub gave us (a next-page link), only on the API's own origin.</summary>
    public GitHubRequest Request(string operation, HttpMethod method, Uri absolute)
    {
        if (!SameOrigin(absolute))
        {
            // Following it would send the token to another host.
            throw new GitHubException($"{operation}: GitHub linked to {absolute.GetLeftPart(UriPartial.Authority)}, which is not the configured API {BaseUri.GetLeftPart(UriPartial.Authority)}; not followed");
        }

        return new(operation, method, absolute, DisplayPath(absolute));
    }

    public async Task<GitHubResponse> SendAsync(GitHubRequest request, string bearer, CancellationToken cancellationToken)
    {
        var uri = request.Uri;
        for (var hop = 0; ; hop++)
        {
            using var message = Build(request, uri, bearer);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_requestTimeout);
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                if (IsRedirect(response.StatusCode) && request.Method == HttpMethod.Get && response.Headers.Location is { } location && hop < MaxRedirects)
                {
                    // GitHub redirects renamed repositories. HttpClient drops the Authorization header on a
                    // redirect, so we follow same-origin ones ourselves, keeping the token on the API host only.
                    var target = location.IsAbsoluteUri ? location : new Uri(uri, location);
                    if (SameOrigin(target))
                    {
                        _logger.LogDebug("GitHub {Operation} {Path} redirected ({StatusCode}) to {Location}", request.Operation, request.Path, (int)response.StatusCode, DisplayPath(target));
                        uri = target;
                        continue;
                    }
                }

                var body = await ReadBodyAsync(response, request, timeout.Token);
                var result = new GitHubResponse(
                    response.StatusCode,
                    response.ReasonPhrase,
                    body,
                    response.Headers.ETag?.ToString(),
                    response.Headers.TryGetValues("Link", out var links) ? LinkHeader.Find(links, "next") : null,
                    ReadRateLimit(response.Headers),
                    ReadRetryAfter(response.Headers));
                _logger.LogDebug(
                    "GitHub {Operation} {HttpMethod} {Path} answered {StatusCode} in {ElapsedMs} ms; rate limit remaining {RateLimitRemaining}",
                    request.Operation,
                    request.Method.Method,
                    request.Path,
                    (int)response.StatusCode,
                    (long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                    result.RateLimit.Remaining);
                return result;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (OperationCanceledException e)
            {
                throw new GitHubUnavailableException($"{request}: no answer within {_requestTimeout.TotalSeconds:0} s", inner: e);
            }
            catch (HttpRequestException e)
            {
                // The inner message is the transport's (DNS, refused, TLS): it never holds a header value.
                throw new GitHubUnavailableException($"{request}: GitHub could not be reached: {e.Message}", inner: e);
            }
            catch (IOException e)
            {
                throw new GitHubUnavailableException($"{request}: the connection failed while reading the answer: {e.Message}", inner: e);
            }
        }
    }

    public string DisplayPath(Uri uri)
    {
        var basePath = BaseUri.AbsolutePath;
        var path = uri.PathAndQuery;
        return path.StartsWith(basePath, StringComparison.Ordinal) ? path[basePath.Length..] : path.TrimStart('/');
    }

    private bool SameOrigin(Uri uri) =>
        uri.IsAbsoluteUri &&
        string.Equals(uri.Scheme, BaseUri.Scheme, StringComparison.OrdinalIgnoreCase) &&
        string.Equals(uri.IdnHost, BaseUri.IdnHost, StringComparison.OrdinalIgnoreCase) &&
        uri.Port == BaseUri.Port;

    private static bool IsRedirect(HttpStatusCode status) =>
        status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    private static HttpRequestMessage Build(GitHubRequest request, Uri uri, string bearer)
    {
        var message = new HttpRequestMessage(request.Method, uri);
        message.Headers.Accept.Add(Accept);
        message.Headers.UserAgent.Add(UserAgent);
        message.Headers.Add("X-GitHub-Api-Version", ApiVersion);
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        if (request.IfNoneMatch is { } etag)
        {
            message.Headers.TryAddWithoutValidation("If-None-Match", etag);
        }

        if (request.JsonBody is { } body)
        {
            message.Content = new ByteArrayContent(body);
            message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        }

        return message;
    }

    private static async Task<byte[]> ReadBodyAsync(HttpResponseMessage response, GitHubRequest request, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength > MaxBodyBytes)
        {
            throw new GitHubException($"{request}: the answer is {response.Content.Headers.ContentLength} bytes, more than the {MaxBodyBytes} DeployGuard reads", response.StatusCode);
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                throw new GitHubException($"{request}: the answer is more than the {MaxBodyBytes} bytes DeployGuard reads", response.StatusCode);
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static RateLimitInfo ReadRateLimit(HttpResponseHeaders headers)
    {
        static string? One(HttpResponseHeaders headers, string name) =>
            headers.TryGetValues(name, out var values) ? values.FirstOrDefault()?.Trim() : null;

        static int? Int(string? value) =>
            int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;

        var reset = long.TryParse(One(headers, "x-ratelimit-reset"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var epoch)
            ? DateTimeOffset.FromUnixTimeSeconds(epoch)
            : (DateTimeOffset?)null;
        return new RateLimitInfo(Int(One(headers, "x-ratelimit-limit")), Int(One(headers, "x-ratelimit-remaining")), reset, One(headers, "x-ratelimit-resource"));
    }

    private static TimeSpan? ReadRetryAfter(HttpResponseHeaders headers)
    {
        // GitHub sends delta-seconds. An HTTP-date is kept as the date's distance from the Date header, so no
        // local clock is read here.
        if (headers.RetryAfter is not { } retryAfter)
        {
            return null;
        }

        if (retryAfter.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (retryAfter.Date is { } date && headers.Date is { } now)
        {
            var wait = date - now;
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }

    private static string ProductVersion()
    {
        var version = typeof(GitHubHttp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? typeof(GitHubHttp).Assembly.GetName().Version?.ToString()
            ?? "0.0.0";
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? version : version[..plus];
    }
}
