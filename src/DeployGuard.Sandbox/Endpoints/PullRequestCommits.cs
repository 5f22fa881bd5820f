using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DeployGuard.Sandbox;

/// <summary>GET /repos/{owner}/{repo}/pulls/{number}/commits: <c>base..head</c> from git, oldest first, at most 250 (GitHub's cap).</summary>
internal static class PullRequestCommits
{
    public const int MaxCommits = 250;

    private const string Docs = "https://docs.github.com/rest/pulls/pulls#list-commits-on-a-pull-request";

    public static void Map(IEndpointRouteBuilder routes) =>
        Routes.Get(routes, "/repos/{owner}/{repo}/pulls/{number:int}/commits", HandleAsync);

    private static async Task<ApiResponse> HandleAsync(HttpContext http, EmulatorRequest request)
    {
        var (repository, error) = Routes.Repository(http, request, Docs, needsGit: true);
        if (repository is null)
        {
            return error!;
        }

        var services = request.Services;
        if (services.State.FindPullRequest(repository.FullName, Routes.Number(http, "number")) is not { } pull)
        {
            return ApiResponse.NotFound(Docs);
        }

        var directory = repository.GitDirectory!;
        var shas = await services.Git.RangeAsync(directory, pull.Seed.BaseSha, pull.Seed.HeadSha, http.RequestAborted);
        var (page, link) = Pagination.Slice([.. shas.Take(MaxCommits)], Pagination.Read(http.Request, services.DefaultPageSize), http.Request, services.Urls);
        var commits = await services.Git.CommitsAsync(directory, page, http.RequestAborted);
        return ApiResponse.Ok(new JsonArray([.. commits.Select(c => (JsonNode)services.Objects.Commit(repository, c))]), link);
    }
}
