using System.Globalization;
using System.Net;
using System.Runtime.ExceptionServices;
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
/// POSTs are not idempotent (a second dispatch is a second deploy): they are sent without ETags and retried only
/// after answers that prove GitHub did not act on them (see <see cref="AttemptOnceAsync"/>).
/// </summary>
internal sealed class GitHubClient : IGitHubClient
{
    /// <summary>A listing longer than this is a server that never ends its pages, not a real answer.</summary>
    private const int MaxPages = 1000;

    /// <summary>GitHub answers a filtered runs query with at most 1,000 runs; asking for more pages gets nothing new.</summary>
    private const int MaxWorkflowRuns = 1000;

    /// <summary>GitHub's 422 message for a ref that names no commit.</summary>
    private const string NoCommitFound = "No commit found for SHA";

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

    public async Task<GitCommitInfo?> GetCommitAsync(string repository, string @ref, CancellationToken cancellationToken)
    {
        try
        {
            return await GetAsync("GetCommit", $"{GitHubPaths.Repository(repository)}/commits/{GitHubPaths.Revision(@ref)}", GitHubJsonContext.Default.GitCommitInfo, cancellationToken);
        }
        catch (GitHubNotFoundException)
        {
            return null;
        }
        catch (GitHubValidationException e) when (e.Message.Contains(NoCommitFound, StringComparison.OrdinalIgnoreCase))
        {
            // GitHub's answer for a ref it cannot resolve; any other 422 is a real error.
            return null;
        }
    }

    public async Task<CombinedStatus> GetCombinedStatusAsync(string repository, string @ref, CancellationToken cancellationToken)
    {
        var pages = await ReadPagesAsync(
            "GetCombinedStatus",
            $"{GitHubPaths.Repository(repository)}/commits/{GitHubPaths.Revision(@ref)}/status",
            GitHubJsonContext.Default.CombinedStatus,
            static page => page.Statuses.Count,
            maxItems: null,
            cancellationToken);

        // The verdict and the total are the first page's: GitHub computes them over every context, and a later
        // page read while a status arrives must not turn one answer into a mix of two.
        return pages[0] with { Statuses = [.. pages.SelectMany(page => page.Statuses)] };
    }

    public Task<IReadOnlyList<CheckRun>> ListCheckRunsAsync(string repository, string @ref, CancellationToken cancellationToken) =>
        ListAsync(
            "ListCheckRuns",
            $"{GitHubPaths.Repository(repository)}/commits/{GitHubPaths.Revision(@ref)}/check-runs",
            GitHubJsonContext.Default.CheckRunPage,
            static page => page.CheckRuns,
            maxItems: null,
            cancellationToken);

    public Task<TeamMembership?> GetTeamMembershipAsync(string organization, string teamSlug, string user, CancellationToken cancellationToken) =>
        GetOrNullAsync("GetTeamMembership", $"orgs/{GitHubPaths.Segment(organization)}/teams/{GitHubPaths.Segment(teamSlug)}/memberships/{GitHubPaths.Segment(user)}", GitHubJsonContext.Default.TeamMembership, cancellationToken);

    public async Task<WorkflowDispatchResult?> DispatchWorkflowAsync(string repository, string workflow, string @ref, IReadOnlyList<KeyValuePair<string, string>> inputs, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(@ref);
        var body = JsonSerializer.SerializeToUtf8Bytes(
            new WorkflowDispatchRequest(@ref, JsonObjectOf(inputs), ReturnRunDetails: true),
            GitHubJsonContext.Default.WorkflowDispatchRequest);
        var (request, page) = await PostAsync(
            "DispatchWorkflow", $"{GitHubPaths.Repository(repository)}/actions/workflows/{GitHubPaths.Segment(workflow)}/dispatches", body, cancellationToken);

        // 204 is the documented answer of a server that does not know return_run_details (GHES before it, say).
        return page.StatusCode == HttpStatusCode.NoContent || page.Body.Length == 0
            ? null
            : Deserialize(request, page.Body, GitHubJsonContext.Default.WorkflowDispatchResult);
    }

    public Task<IReadOnlyList<WorkflowRun>> ListWorkflowRunsAsync(string repository, WorkflowRunQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        List<string> filters = [];
        AddFilter(filters, "event", query.Event);
        AddFilter(filters, "status", query.Status);
        AddFilter(filters, "branch", query.Branch);
        if (query.CreatedFrom is { } from)
        {
            // Whole seconds, rounded down: GitHub's search syntax has no fractions, and down keeps every run in.
            AddFilter(filters, "created", ">=" + from.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        }

        var path = $"{GitHubPaths.Repository(repository)}/actions/runs" + (filters.Count == 0 ? "" : "?" + string.Join('&', filters));
        return ListAsync("ListWorkflowRuns", path, GitHubJsonContext.Default.WorkflowRunPage, page => page.WorkflowRuns, MaxWorkflowRuns, cancellationToken);
    }

    public Task<WorkflowRun> GetWorkflowRunAsync(string repository, long runId, CancellationToken cancellationToken) =>
        GetAsync(
            "GetWorkflowRun",
            $"{GitHubPaths.Repository(repository)}/actions/runs/{(runId > 0 ? runId.ToString(CultureInfo.InvariantCulture) : throw new ArgumentOutOfRangeException(nameof(runId), runId, "run ids start at 1"))}",
            GitHubJsonContext.Default.WorkflowRun,
            cancellationToken);

    public async Task CreateRepositoryDispatchAsync(string repository, string eventType, IReadOnlyList<KeyValuePair<string, string>> clientPayload, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventType);
        var body = JsonSerializer.SerializeToUtf8Bytes(
            new RepositoryDispatchRequest(eventType, JsonObjectOf(clientPayload)),
            GitHubJsonContext.Default.RepositoryDispatchRequest);
        await PostAsync("CreateRepositoryDispatch", $"{GitHubPaths.Repository(repository)}/dispatches", body, cancellationToken);
    }

    /// <summary>Name/value pairs as a JSON object; a name given twice is a caller's bug, not something to send half of.</summary>
    private static Dictionary<string, string> JsonObjectOf(IReadOnlyList<KeyValuePair<string, string>> pairs, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(pairs))] string? name = null)
    {
        ArgumentNullException.ThrowIfNull(pairs, name);
        var result = new Dictionary<string, string>(pairs.Count, StringComparer.Ordinal);
        foreach (var (key, value) in pairs)
        {
            if (!result.TryAdd(key, value))
            {
                throw new ArgumentException($"'{key}' is given twice", name);
            }
        }

        return result;
    }

    private static void AddFilter(List<string> filters, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            filters.Add($"{name}={Uri.EscapeDataString(value)}");
        }
    }

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

    private Task<IReadOnlyList<T>> ListAsync<T>(string operation, string path, JsonTypeInfo<List<T>> type, CancellationToken cancellationToken) =>
        ListAsync(operation, path, type, static page => page, maxItems: null, cancellationToken);

    /// <summary>
    /// Every page of a listing. <paramref name="items"/> takes the list out of a page (an array, or an object such as
    /// <c>{"total_count", "workflow_runs"}</c>); with <paramref name="maxItems"/> reading stops once that many are in.
    /// </summary>
    private async Task<IReadOnlyList<T>> ListAsync<TPage, T>(string operation, string path, JsonTypeInfo<TPage> type, Func<TPage, IReadOnlyList<T>> items, int? maxItems, CancellationToken cancellationToken)
    {
        var pages = await ReadPagesAsync(operation, path, type, page => items(page).Count, maxItems, cancellationToken);
        List<T> all = [.. pages.SelectMany(items)];
        return maxItems is { } max && all.Count > max ? all[..max] : all;
    }

    /// <summary>
    /// Every page of a paginated answer, following <c>Link: rel="next"</c>, in order. <paramref name="count"/> says
    /// how many items a page holds, so reading stops once <paramref name="maxItems"/> are in.
    /// </summary>
    private async Task<IReadOnlyList<TPage>> ReadPagesAsync<TPage>(string operation, string path, JsonTypeInfo<TPage> type, Func<TPage, int> count, int? maxItems, CancellationToken cancellationToken)
    {
        var call = _retry.StartCall(operation);
        var separator = path.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        var request = _http.Request(operation, HttpMethod.Get, $"{path}{separator}per_page={_options.PageSize.ToString(CultureInfo.InvariantCulture)}");
        var first = request;
        var pages = new List<TPage>();
        var items = 0;
        var visited = new HashSet<string>(StringComparer.Ordinal) { request.Uri.AbsoluteUri };
        while (true)
        {
            var page = await ExecuteAsync(call, request, cancellationToken);
            var content = Deserialize(request, page.Body, type);
            pages.Add(content);
            items += count(content);
            if (maxItems is { } max && items >= max)
            {
                _logger.LogDebug("GitHub {Operation} {Path}: stopped at {Count} items in {Pages} pages, the most GitHub lists", operation, first.Path, items, pages.Count);
                return pages;
            }

            if (page.NextPage is not { } next)
            {
                _logger.LogDebug("GitHub {Operation} {Path}: {Count} items in {Pages} pages", operation, first.Path, items, pages.Count);
                return pages;
            }

            if (pages.Count >= MaxPages || !visited.Add(next.AbsoluteUri))
            {
                throw new GitHubException($"{request}: GitHub's pages do not end (page {pages.Count + 1} links back or past {MaxPages} pages)");
            }

            request = _http.Request(operation, HttpMethod.Get, next);
        }
    }

    /// <summary>A POST with a JSON body: no ETag, and no retry once GitHub may have acted on it.</summary>
    private async Task<(GitHubRequest Request, Page Page)> PostAsync(string operation, string path, byte[] body, CancellationToken cancellationToken)
    {
        var call = _retry.StartCall(operation);
        var request = _http.Request(operation, HttpMethod.Post, path) with { JsonBody = body };
        return (request, await ExecuteAsync(call, request, cancellationToken));
    }

    private async Task<Page> ExecuteAsync(GitHubCall call, GitHubRequest request, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(GitHubRetryPolicy.CallKey, call);
        var retriesBefore = call.Retries;
        try
        {
            var page = await _retry.Pipeline.ExecuteAsync(
                static (ctx, state) => state.Self.AttemptOnceAsync(state.Call, state.Request, ctx.CancellationToken),
                context,
                (Self: this, Call: call, Request: request));
            if (call.Retries > retriesBefore)
            {
                _logger.LogInformation("GitHub {Operation} {Path} succeeded after {Retries} retries", call.Operation, request.Path, call.Retries - retriesBefore);
            }

            return page;
        }
        catch (MayHaveActedException e)
        {
            _logger.LogWarning(
                "GitHub {Operation} {Path} failed after {Retries} retries and is not retried: GitHub may have acted on it: {Reason}",
                call.Operation,
                request.Path,
                call.Retries - retriesBefore,
                e.Error.Message);
            ExceptionDispatchInfo.Throw(e.Error);
            throw;
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

    /// <summary>
    /// One attempt, as the retry policy sees it. A request that is not idempotent (a POST) must not be sent twice when
    /// the first may have been acted on: after a 5xx, a timeout or a connection lost mid-request, GitHub may have
    /// created the run and only the answer was lost. Such a failure is hidden from the retry policy and thrown to the
    /// caller as the transient exception it is, so the caller can look for the effect before trying again. What
    /// proves GitHub did not act — a rate-limit answer, a 401, a connection never made — is retried as for a GET.
    /// </summary>
    private async ValueTask<Page> AttemptOnceAsync(GitHubCall call, GitHubRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await AttemptAsync(call, request, cancellationToken);
        }
        catch (GitHubUnavailableException e) when (request.Method != HttpMethod.Get && !NeverSent(e))
        {
            throw new MayHaveActedException(e);
        }
    }

    /// <summary>The connection failed before the request could be written: no name, no connection, no TLS.</summary>
    private static bool NeverSent(GitHubUnavailableException error) =>
        error.InnerException is HttpRequestException
        {
            HttpRequestError: HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError or HttpRequestError.SecureConnectionError,
        };

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
            return new Page(cached.Body, cached.NextPage, HttpStatusCode.OK);
        }

        if (response.IsSuccess)
        {
            if (request.Method == HttpMethod.Get && response.ETag is { } etag)
            {
                _etags.Set(request.Uri, new CachedResponse(etag, response.Body, response.NextPage));
            }

            return new Page(response.Body, response.NextPage, response.StatusCode);
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

    private readonly record struct Page(byte[] Body, Uri? NextPage, HttpStatusCode StatusCode);

    /// <summary>
    /// Carries a failure of a non-idempotent request past the retry policy, which retries every transient
    /// <see cref="GitHubException"/>; <see cref="ExecuteAsync"/> unwraps it. Never seen outside this class.
    /// </summary>
    private sealed class MayHaveActedException(GitHubUnavailableException error) : Exception(error.Message, error)
    {
        public GitHubUnavailableException Error { get; } = error;
    }
}
