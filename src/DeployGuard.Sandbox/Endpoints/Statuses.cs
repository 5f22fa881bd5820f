using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DeployGuard.Sandbox;

/// <summary>
/// GET /repos/{owner}/{repo}/commits/{ref}/status: the combined status of the commit the ref resolves to in git.
/// It shows the latest status of each context, newest first, paginated; <c>state</c> and <c>total_count</c> are
/// over every context (GitHub's rules: <c>failure</c> if any is failure or error, else <c>pending</c> if any is
/// pending or there are none at all, else <c>success</c>). An unknown ref is 404.
/// </summary>
internal static class Statuses
{
    private const string Docs = "https://docs.github.com/rest/commits/statuses#get-the-combined-status-for-a-specific-reference";

    public static void Map(IEndpointRouteBuilder routes) =>
        Routes.Get(routes, "/repos/{owner}/{repo}/commits/{ref}/status", (http, request) => HandleAsync(http, request, Routes.Value(http, "ref")));

    /// <summary>GitHub's combined state of the latest status of each context.</summary>
    public static string CombinedState(IReadOnlyCollection<StatusRecord> latest) =>
        latest.Any(s => s.State is "failure" or "error") ? "failure"
        : latest.Count == 0 || latest.Any(s => s.State == "pending") ? "pending"
        : "success";

    internal static async Task<ApiResponse> HandleAsync(HttpContext http, EmulatorRequest request, string @ref)
    {
        var (repository, sha, error) = await Commits.ResolveAsync(http, request, @ref, Docs, StatusCodes.Status404NotFound);
        if (repository is null)
        {
            return error!;
        }

        var services = request.Services;
        List<StatusRecord> latest = [.. services.State.ListStatuses(repository.FullName, sha)
            .GroupBy(s => s.Context, StringComparer.Ordinal)
            .Select(reports => reports.MaxBy(s => s.Id)!)
            .OrderByDescending(s => s.Id)];
        var (page, link) = Pagination.Slice(latest, Pagination.Read(http.Request, services.DefaultPageSize), http.Request, services.Urls);
        JsonNode body = services.Objects.CombinedStatus(repository, sha, CombinedState(latest), page, latest.Count);
        return ApiResponse.Ok(body, link);
    }
}
