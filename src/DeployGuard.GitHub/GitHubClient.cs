using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using DeployGuard.GitHub.Auth;
using DeployGuard.GitHub.Http;
using DeployGuard.GitHub.Resilience;
using DeployGuard.GitHub.Serialization;
using Microsoft.Extensions.Logging;
using Polly;

namespace DeployGuard.GitHub;

/// <summary>
/// The GitHub REST client (SPEC §10). Each call: wait out a known rate limit → token → conditional GET
/// (ETag) → map the answer → retry the transient failures (Polly) → follow <c>Link: rel="next"</c>.
/// </summary>
internal sealed class GitHubClient : IGitHubClient
{
    /// <summary>A listing longer than this is a server that never ends its pages, not a real answer.</summary>
    private const int MaxPages = 1000;

    private readonly GitHubHttp _http;
    private readonly GitHubClientOptions _options;
    private readonly IGitHubTokenSource _tokens;
    private readonly TimeProvider _time;
    private readonly ILogger<GitHubClient> _logger;
    private readonly GitHubRetryPolicy _retry;
    private readonly RateLimitTracker _rateLimits = new();
    private readonly ETagCache _etags;

    public GitHubClient(GitHubHttp http, GitHubClientOptions options, IGitHubTokenSource tokens, TimeProvider time, ILogger<GitHubClient> logger, Func<double>? random = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _http = http;
        _options = options;
        _tokens = tokens;
        _time = time;
        _logger = logger;
        _retry = new GitHubRetryPolicy(options, time, logger, random);
        _etags = new ETagCache(options.ETagCacheSize);
    }

    public Task<IReadOnlyList<PullRequest>> ListPullRequestsForCommitAsync(string repository, string sha, CancellationToken cancellationToken) =>
        ListAsync("ListPullRequestsForCommit", $"{GitHubPaths.Repository(repository)}/commits/{GitHubPaths.Segment(sha)}/pulls", GitHubJsonContext.Default.ListPullRequest, cancellationToken);

    public Task<PullRequest> GetPullRequestAsync(string repository, int number, CancellationToken cancellationToken) =>
        GetAsync("GetPullRequest", $"{GitHubPaths.Repository(repository)}/pulls/{Number(number)}", GitHubJsonContext.Default.PullRequest, cancellationToken);

    public Task<IReadOnlyList<PullRequestReview>> ListReviewsAsync(string repository, int number, CancellationToken cancellationToken) =>
        ListAsync("ListReviews", $"{GitHubPaths.Repository(repository)}/pulls/{Number(number)}/reviews", GitHubJsonContext.Default.ListPullRequestReview, cancellationToken);

    public Task<IReadOnlyList<PullRequestCommit>> ListPullRequestCommitsAsync(string repository, int number, CancellationToken cancellationToken) =>
        ListAsync("ListPullRequestCommits", $"{GitHubPaths.Repository(repository)}/pulls/{Number(number)}/commits", GitHubJsonContext.Default.ListPullRequestCommit, cancellationToken);

    public Task<CollaboratorAccess?> GetCollaboratorAccessAsync(string repository, string user, CancellationToken cancellationToken) =>
        GetOrNullAsync("GetCollaboratorAccess", $"{GitHubPaths.Repository(repository)}/collaborators/{GitHubPaths.Segment(user)}/permission", GitHubJsonContext.Default.CollaboratorAccess, cancellationToken);

    public Task<CommitComparison> CompareAsync(string repository, string @base, string head, CancellationToken cancellationToken) =>
        GetAsync("Compare", $"{GitHubPaths.Repository(repository)}/compare/{GitHubPaths.Revision(@base)}...{GitHubPaths.Revision(head)}", GitHubJsonContext.Default.CommitComparison, cancellationToken);

    public Task<TeamMembership?> GetTeamMembershipAsync(string organization, string teamSlug, string user, CancellationToken cancellationToken) =>
        GetOrNullAsync("GetTeamMembership", $"orgs/{GitHubPaths.Segment(organization)}/teams/{GitHubPaths.Segment(teamSlug)}/memberships/{GitHubPaths.Segment(user)}", GitHubJsonContext.Default.TeamMembership, cancellationToken);

    private static string Number(int number) =>
        number > 0 ? number.ToString(CultureInfo.InvariantCulture) : throw new ArgumentOutOfRangeException(nameof(number), number, "pull request numbers start at 1");

    private async Task<T> GetAsync<T>(string operation, string path, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        var call = _retry.StartCall(operation);
        var request = _http.Request(operation, HttpMethod.Get, path);
        var page = await ExecuteAsync(call, request, cancellationToken);
        return Deserialize(request, page.Body, type);
    }

    /// <summary>GET for the two endpoints whose 404 is an answer ("not a collaborator", "not a member").</summary>
    private async Task<T?> GetOrNullAsync<T>(string operation, string path, JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            return await GetAsync(operation, path, type, cancellationToken);
        }
        catch (GitHubNotFoundException)
        {
            return null;
        }
    }

    private async Task<IReadOnlyList<T>> ListAsync<T>(string operation, string path, JsonTypeInfo<List<T>> type, CancellationToken cancellationToken)
    {
        var call = _retry.StartCall(operation);
        var request = _http.Request(operation, HttpMethod.Get, $"{path}?per_page={_options.PageSize.ToString(CultureInfo.InvariantCulture)}");
        var first = request;
        var items = new List<T>();
        var visited = new HashSet<string>(StringComparer.Ordinal) { request.Uri.AbsoluteUri };
        for (var pages = 1; ; pages++)
        {
            var page = await ExecuteAsync(call, request, cancellationToken);
            items.AddRange(Deserialize(request, page.Body, type));
            if (page.NextPage is not { } next)
            {
                _logger.LogDebug("GitHub {Operation} {Path}: {Count} items in {Pages} pages", operation, first.Path, items.Count, pages);
                return items;
            }

            if (pages >= MaxPages || !visited.Add(next.AbsoluteUri))
            {
                throw new GitHubException($"{request}: GitHub's pages do not end (page {pages + 1} links back or past {MaxPages} pages)");
            }

            request = _http.Request(operation, HttpMethod.Get, next);
        }
    }

    private async Task<Page> ExecuteAsync(GitHubCall call, GitHubRequest request, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(GitHubRetryPolicy.CallKey, call);
        var retriesBefore = call.Retries;
        try
        {
            var page = await _retry.Pipeline.ExecuteAsync(
                static (ctx, state) => state.Self.AttemptAsync(state.Call, state.Request, ctx.CancellationToken),
                context,
                (Self: this, Call: call, Request: request));
            if (call.Retries > retriesBefore)
            {
                _logger.LogInformation("GitHub {Operation} {Path} succeeded after {Retries} retries", call.Operation, request.Path, call.Retries - retriesBefore);
            }

            return page;
        }
        catch (GitHubException e) when (call.Retries > retriesBefore)
        {
            _logger.LogWarning("GitHub {Operation} {Path} failed after {Retries} retries: {Reason}", call.Operation, request.Path, call.Retries - retriesBefore, e.Message);
            throw;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>One attempt: a token, the request, and once more with a renewed token if GitHub refused the first.</summary>
    private async ValueTask<Page> AttemptAsync(GitHubCall call, GitHubRequest request, CancellationToken cancellationToken)
    {
        var token = await _tokens.GetTokenAsync(cancellationToken);
        try
        {
            return await SendAsync(call, request, token, cancellationToken);
        }
        catch (GitHubUnauthorizedException)
        {
            // An App token revoked early or a rotated token file: one retry with what the source has now. A token
            // that did not change would be refused again, so then the 401 stands.
            _tokens.Invalidate();
            var renewed = await _tokens.GetTokenAsync(cancellationToken);
            if (string.Equals(renewed, token, StringComparison.Ordinal))
            {
                throw;
            }

            _logger.LogWarning("GitHub {Operation} {Path}: the token was refused (401); retrying once with a renewed token", call.Operation, request.Path);
            return await SendAsync(call, request, renewed, cancellationToken);
        }
    }

    private async Task<Page> SendAsync(GitHubCall call, GitHubRequest request, string token, CancellationToken cancellationToken)
    {
        var key = RateLimitTracker.KeyFor(token);
        await AcquireRateLimitAsync(call, request, key, cancellationToken);

        var cached = request.Method == HttpMethod.Get ? _etags.Get(request.Uri) : null;
        GitHubResponse response;
        try
        {
            response = await _http.SendAsync(cached is null ? request : request with { IfNoneMatch = cached.ETag }, token, cancellationToken);
        }
        catch
        {
            _rateLimits.Release(key, default, notBefore: null);
            throw;
        }

        var limited = response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.TooManyRequests;
        _rateLimits.Release(key, response.RateLimit, limited && response.RetryAfter is { } wait ? _time.GetUtcNow() + wait : null);

        if (response.StatusCode == HttpStatusCode.NotModified && cached is not null)
        {
            _logger.LogDebug("GitHub {Operation} {Path}: not modified, answered from the ETag cache", call.Operation, request.Path);
            return new Page(cached.Body, cached.NextPage);
        }

        if (response.IsSuccess)
        {
            if (request.Method == HttpMethod.Get && response.ETag is { } etag)
            {
                _etags.Set(request.Uri, new CachedResponse(etag, response.Body, response.NextPage));
            }

            return new Page(response.Body, response.NextPage);
        }

        var error = GitHubErrors.ToException(request, response, token);
        if (error is GitHubRateLimitException)
        {
            _logger.LogWarning(
                "GitHub {Operation} {Path} rate-limited with {StatusCode}; rate limit remaining {RateLimitRemaining}, resets at {RateLimitReset}",
                call.Operation,
                request.Path,
                (int)response.StatusCode,
                response.RateLimit.Remaining,
                response.RateLimit.ResetAt);
        }

        throw error;
    }

    /// <summary>
    /// Does not send while GitHub has said the token's budget is spent (or asked to wait): waits for the reset
    /// within <see cref="GitHubClientOptions.MaxRateLimitWait"/> and the retry budget, else fails closed unsent.
    /// </summary>
    private async Task AcquireRateLimitAsync(GitHubCall call, GitHubRequest request, string key, CancellationToken cancellationToken)
    {
        while (true)
        {
            var now = _time.GetUtcNow();
            if (_rateLimits.TryAcquire(key, now) is not { } block)
            {
                return;
            }

            var wait = block.Until - now + (block.Secondary ? TimeSpan.Zero : GitHubRetryPolicy.ResetMargin);
            var decision = _retry.DecideWait(wait, call, primary: !block.Secondary);
            if (!decision.Retry)
            {
                throw block.Secondary
                    ? new GitHubRateLimitException($"{request}: not sent: GitHub asked to wait until {block.Until:O} (secondary rate limit); {decision.WhyNot}", HttpStatusCode.TooManyRequests, secondary: true, resetAt: null, retryAfter: wait)
                    : new GitHubRateLimitException($"{request}: not sent: the primary rate limit is spent until {block.Until:O}; {decision.WhyNot}", HttpStatusCode.TooManyRequests, secondary: false, resetAt: block.Until, retryAfter: null);
            }

            _logger.LogWarning(
                "GitHub {Operation} {Path}: the rate limit is spent (remaining {RateLimitRemaining}); waiting {RateLimitWait} before sending",
                call.Operation,
                request.Path,
                _rateLimits.Remaining(key),
                wait);
            await Task.Delay(wait, _time, cancellationToken);
        }
    }

    private T Deserialize<T>(GitHubRequest request, byte[] body, JsonTypeInfo<T> type)
    {
        try
        {
            return JsonSerializer.Deserialize(body, type) ?? throw new JsonException("the answer is null");
        }
        catch (JsonException e)
        {
            // A body we cannot read must not be served again from the cache on a 304.
            _etags.Remove(request.Uri);
            throw GitHubErrors.Unreadable(request, e);
        }
    }

    private readonly record struct Page(byte[] Body, Uri? NextPage);
}
