using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DeployGuard.Sandbox;

/// <summary>
/// GET /repos/{owner}/{repo}/commits/{ref}/check-runs: the check runs of the commit the ref resolves to in git,
/// newest first, paginated, in GitHub's envelope <c>{"total_count", "check_runs"}</c>. As on GitHub,
/// <c>filter=latest</c> (the default) shows only the newest run of each check name, so a re-run replaces the run it
/// repeats; <c>filter=all</c> shows every run. <c>check_name</c> and <c>status</c> filter further. An unknown ref
/// is 422 "No commit found for SHA".
/// </summary>
internal static class CheckRuns
{
    private const string Docs = "https://docs.github.com/rest/checks/runs#list-check-runs-for-a-git-reference";

    public static void Map(IEndpointRouteBuilder routes) =>
        Routes.Get(routes, "/repos/{owner}/{repo}/commits/{ref}/check-runs", (http, request) => HandleAsync(http, request, Routes.Value(http, "ref")));

    internal static async Task<ApiResponse> HandleAsync(HttpContext http, EmulatorRequest request, string @ref)
    {
        var query = http.Request.Query;
        var filter = query["filter"].ToString();
        if (filter is not ("" or "latest" or "all"))
        {
            return Routes.Invalid($"For 'filter', \"{filter}\" is not one of latest, all.", Docs);
        }

        var status = query["status"].ToString();
        if (status is not ("" or "queued" or "in_progress" or "completed"))
        {
            return Routes.Invalid($"For 'status', \"{status}\" is not one of queued, in_progress, completed.", Docs);
        }

        var (repository, sha, error) = await Commits.ResolveAsync(http, request, @ref, Docs, StatusCodes.Status422UnprocessableEntity);
        if (repository is null)
        {
            return error!;
        }

        var services = request.Services;
        IEnumerable<CheckRunRecord> runs = services.State.ListCheckRuns(repository.FullName, sha);
        if (filter != "all")
        {
            runs = runs.GroupBy(r => r.Name, StringComparer.Ordinal).Select(named => named.MaxBy(r => r.Id)!);
        }

        var checkName = query["check_name"].ToString();
        List<CheckRunRecord> listed = [.. runs
            .Where(r => checkName.Length == 0 || r.Name == checkName)
            .Where(r => status.Length == 0 || r.Status == status)
            .OrderByDescending(r => r.Id)];
        var (page, link) = Pagination.Slice(listed, Pagination.Read(http.Request, services.DefaultPageSize), http.Request, services.Urls);
        return ApiResponse.Ok(
            new JsonObject
            {
                ["total_count"] = listed.Count,
                ["check_runs"] = new JsonArray([.. page.Select(run => (JsonNode)services.Objects.CheckRun(repository, run))]),
            },
            link);
    }
}
