using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DeployGuard.Sandbox;

/// <summary>
/// GitHub Actions, as far as a deploy trigger sees it: dispatching a seeded workflow
/// (<c>POST …/actions/workflows/{workflow_id}/dispatches</c>), listing runs with GitHub's filters, and reading
/// one run, which moves it on (<see cref="WorkflowSeed.PollsBeforeCompletion"/>). Nothing is executed.
/// </summary>
internal static class Actions
{
    /// <summary>GitHub: "The maximum number of properties is 25."</summary>
    public const int MaxInputs = 25;

    /// <summary>GitHub answers a filtered runs query with at most this many runs.</summary>
    public const int MaxFilteredRuns = 1000;

    private const string DispatchDocs = "https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event";
    private const string ListDocs = "https://docs.github.com/rest/actions/workflow-runs#list-workflow-runs-for-a-repository";
    private const string GetDocs = "https://docs.github.com/rest/actions/workflow-runs#get-a-workflow-run";

    /// <summary>The filters of the list endpoint that GitHub caps at <see cref="MaxFilteredRuns"/> results.</summary>
    private static readonly string[] Filters = ["actor", "branch", "created", "event", "head_sha", "status"];

    public static void Map(IEndpointRouteBuilder routes)
    {
        Routes.Post(routes, "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches", DispatchAsync);
        Routes.Get(routes, "/repos/{owner}/{repo}/actions/runs", ListAsync);
        Routes.Get(routes, "/repos/{owner}/{repo}/actions/runs/{run_id:long}", GetAsync);
    }

    private static async Task<ApiResponse> DispatchAsync(HttpContext http, EmulatorRequest request)
    {
        var (repository, error) = Routes.Repository(http, request, DispatchDocs, needsGit: false);
        if (repository is null)
        {
            return error!;
        }

        var services = request.Services;
        if (services.State.FindWorkflow(repository.FullName, Routes.Value(http, "workflow_id")) is not { } workflow)
        {
            return ApiResponse.NotFound(DispatchDocs);
        }

        var (body, invalid) = await Routes.ReadJsonObjectAsync(http, DispatchDocs);
        if (body is null)
        {
            return invalid!;
        }

        if (body["ref"] is not JsonValue refValue || !refValue.TryGetValue<string>(out var gitRef) || string.IsNullOrWhiteSpace(gitRef))
        {
            return Routes.Invalid("\"ref\" wasn't supplied.", DispatchDocs);
        }

        var inputs = body["inputs"];
        if (inputs is not null and not JsonObject)
        {
            return Routes.Invalid($"For 'properties/inputs', {inputs.ToJsonString()} is not an object.", DispatchDocs);
        }

        if (inputs is JsonObject { Count: > MaxInputs } tooMany)
        {
            return Routes.Invalid($"No more than {MaxInputs} properties are allowed; {tooMany.Count} were supplied.", DispatchDocs);
        }

        string headBranch;
        string headSha;
        if (repository.GitDirectory is { } directory)
        {
            if (await ResolveRefAsync(services, directory, gitRef, http.RequestAborted) is not { } resolved)
            {
                return ApiResponse.Error(StatusCodes.Status422UnprocessableEntity, $"No ref found for: {gitRef}", DispatchDocs);
            }

            (headBranch, headSha) = resolved;
        }
        else
        {
            // No git data to resolve against: a stable stand-in, so the same ref always shows the same head.
            headBranch = gitRef.StartsWith("refs/", StringComparison.Ordinal) ? gitRef[(gitRef.IndexOf('/', 5) + 1)..] : gitRef;
            headSha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{repository.FullName}@{gitRef}")))[..40];
        }

        var run = services.State.CreateRun(
            repository.FullName, workflow, gitRef, headBranch, headSha, Routes.StringPairs(inputs as JsonObject), request.Login ?? "ghost");

        // From API version 2026-03-10 GitHub always answers with the run; before it, only when asked.
        var details = body["return_run_details"] is JsonValue flag && flag.TryGetValue<bool>(out var asked) && asked;
        if (!workflow.Seed.AnswersWithRunDetails || !(details || GitHubObjects.IsNewApi(request.ApiVersion)))
        {
            return new ApiResponse(StatusCodes.Status204NoContent);
        }

        return ApiResponse.Ok(new JsonObject
        {
            ["workflow_run_id"] = run.Id,
            ["run_url"] = $"{services.Objects.RepositoryApi(repository)}/actions/runs/{run.Id.ToString(CultureInfo.InvariantCulture)}",
            ["html_url"] = services.Objects.WorkflowRunHtmlUrl(repository, run.Id),
        });
    }

    private static async Task<ApiResponse> ListAsync(HttpContext http, EmulatorRequest request)
    {
        var (repository, error) = Routes.Repository(http, request, ListDocs, needsGit: false);
        if (repository is null)
        {
            return error!;
        }

        var query = http.Request.Query;
        Func<DateTimeOffset, bool> created = _ => true;
        if (query["created"].ToString() is { Length: > 0 } createdText && !CreatedFilter.TryParse(createdText, out created))
        {
            return ApiResponse.Error(StatusCodes.Status422UnprocessableEntity, $"Invalid value for created: {createdText}", ListDocs);
        }

        var eventName = query["event"].ToString();
        var status = query["status"].ToString();
        var branch = query["branch"].ToString();
        var headSha = query["head_sha"].ToString();
        var actor = query["actor"].ToString();
        List<WorkflowRunRecord> runs = [.. request.Services.State.ListRuns(repository.FullName)
            .Where(r => eventName.Length == 0 || eventName == "workflow_dispatch")
            .Where(r => status.Length == 0 || r.Status == status || r.Conclusion == status)
            .Where(r => branch.Length == 0 || r.HeadBranch == branch)
            .Where(r => headSha.Length == 0 || string.Equals(r.HeadSha, headSha, StringComparison.OrdinalIgnoreCase))
            .Where(r => actor.Length == 0 || string.Equals(r.Actor, actor, StringComparison.OrdinalIgnoreCase))
            .Where(r => created(r.CreatedAt))
            .OrderByDescending(r => r.CreatedAt)
            .ThenByDescending(r => r.Id)];
        if (Filters.Any(f => query.ContainsKey(f)) && runs.Count > MaxFilteredRuns)
        {
            runs = runs[..MaxFilteredRuns];
        }

        var services = request.Services;
        var (page, link) = Pagination.Slice(runs, Pagination.Read(http.Request, services.DefaultPageSize), http.Request, services.Urls);
        JsonArray items = [];
        foreach (var run in page)
        {
            items.Add(services.Objects.WorkflowRun(repository, run, await HeadCommitAsync(services, repository, run, http.RequestAborted), listed: true));
        }

        return ApiResponse.Ok(new JsonObject { ["total_count"] = runs.Count, ["workflow_runs"] = items }, link);
    }

    private static async Task<ApiResponse> GetAsync(HttpContext http, EmulatorRequest request)
    {
        var (repository, error) = Routes.Repository(http, request, GetDocs, needsGit: false);
        if (repository is null)
        {
            return error!;
        }

        var services = request.Services;
        var runId = long.Parse(Routes.Value(http, "run_id"), CultureInfo.InvariantCulture);
        if (services.State.ReadRun(repository.FullName, runId) is not { } run)
        {
            return ApiResponse.NotFound(GetDocs);
        }

        return ApiResponse.Ok(services.Objects.WorkflowRun(repository, run, await HeadCommitAsync(services, repository, run, http.RequestAborted), listed: false));
    }

    /// <summary>The branch or tag <paramref name="gitRef"/> names (GitHub accepts no bare sha here) and its commit.</summary>
    private static async Task<(string Branch, string Sha)?> ResolveRefAsync(EmulatorServices services, string directory, string gitRef, CancellationToken cancellationToken)
    {
        string[] candidates = gitRef.StartsWith("refs/heads/", StringComparison.Ordinal) || gitRef.StartsWith("refs/tags/", StringComparison.Ordinal)
            ? [gitRef]
            : [$"refs/heads/{gitRef}", $"refs/tags/{gitRef}"];
        foreach (var candidate in candidates)
        {
            if (await services.Git.ResolveCommitAsync(directory, candidate, cancellationToken) is { } sha)
            {
                return (candidate[(candidate.IndexOf('/', 5) + 1)..], sha);
            }
        }

        return null;
    }

    private static async Task<GitCommitInfo?> HeadCommitAsync(EmulatorServices services, RepositoryRecord repository, WorkflowRunRecord run, CancellationToken cancellationToken) =>
        repository.GitDirectory is { } directory && await services.Git.ResolveCommitAsync(directory, run.HeadSha, cancellationToken) is { } sha
            ? await services.Git.CommitAsync(directory, sha, cancellationToken)
            : null;
}

/// <summary>
/// GitHub's search syntax for dates, as the <c>created</c> filter takes it: <c>&gt;=X</c>, <c>&gt;X</c>,
/// <c>&lt;=X</c>, <c>&lt;X</c>, <c>X..Y</c> (either end may be <c>*</c>) or a bare <c>X</c>, where X is a date
/// (<c>2026-11-21</c>, the whole day) or a date-time (<c>2026-11-21T10:00:00Z</c>, to the second; no zone is UTC).
/// </summary>
internal static class CreatedFilter
{
    public static bool TryParse(string text, out Func<DateTimeOffset, bool> filter)
    {
        filter = _ => false;
        text = text.Trim();
        (DateTimeOffset Start, DateTimeOffset End) span;
        var dots = text.IndexOf("..", StringComparison.Ordinal);
        if (dots >= 0)
        {
            var (low, high) = (text[..dots], text[(dots + 2)..]);
            DateTimeOffset? from = null, before = null;
            if (low != "*")
            {
                if (!TryParseValue(low, out span))
                {
                    return false;
                }

                from = span.Start;
            }

            if (high != "*")
            {
                if (!TryParseValue(high, out span))
                {
                    return false;
                }

                before = span.End;
            }

            filter = t => (from is null || Second(t) >= from) && (before is null || Second(t) < before);
            return true;
        }

        foreach (var op in new[] { ">=", "<=", ">", "<" })
        {
            if (text.StartsWith(op, StringComparison.Ordinal))
            {
                if (!TryParseValue(text[op.Length..], out span))
                {
                    return false;
                }

                var (start, end) = span;
                filter = op switch
                {
                    ">=" => t => Second(t) >= start,
                    ">" => t => Second(t) >= end,
                    "<=" => t => Second(t) < end,
                    _ => t => Second(t) < start,
                };
                return true;
            }
        }

        if (!TryParseValue(text, out span))
        {
            return false;
        }

        var (first, after) = span;
        filter = t => Second(t) >= first && Second(t) < after;
        return true;
    }

    /// <summary>The instants a value stands for, as [Start, End): a whole day for a date, one second for a date-time.</summary>
    private static bool TryParseValue(string text, out (DateTimeOffset Start, DateTimeOffset End) span)
    {
        if (DateTimeOffset.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var day))
        {
            span = (day, day.AddDays(1));
            return true;
        }

        if (text.Contains('T', StringComparison.Ordinal)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant))
        {
            var start = Second(instant);
            span = (start, start.AddSeconds(1));
            return true;
        }

        span = default;
        return false;
    }

    /// <summary>Runs show their times in whole seconds; filters compare what a client can see.</summary>
    private static DateTimeOffset Second(DateTimeOffset time) =>
        new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
}
