using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DeployGuard.Sandbox;

/// <summary>GET /repos/{owner}/{repo}/pulls/{number}: the full pull request.</summary>
internal static class PullRequests
{
    private const string Docs = "https://docs.github.com/rest/pulls/pulls#get-a-pull-request";

    public static void Map(IEndpointRouteBuilder routes) =>
        Routes.Get(routes, "/repos/{owner}/{repo}/pulls/{number:int}", HandleAsync);

    private static async Task<ApiResponse> HandleAsync(HttpContext http, EmulatorRequest request)
    {
        var (repository, error) = Routes.Repository(http, request, Docs, needsGit: false);
        if (repository is null)
        {
            return error!;
        }

        var services = request.Services;
        if (services.State.FindPullRequest(repository.FullName, Routes.Number(http, "number")) is not { } pull)
        {
            return ApiResponse.NotFound(Docs);
        }

        // The commit count is the one field of the full shape that needs git; without git data it is left out.
        int? commits = null;
        if (repository.GitDirectory is { } directory
            && await services.Git.ResolveCommitAsync(directory, pull.Seed.HeadSha, http.RequestAborted) is not null
            && await services.Git.ResolveCommitAsync(directory, pull.Seed.BaseSha, http.RequestAborted) is not null)
        {
            commits = await services.Git.CountAsync(directory, pull.Seed.BaseSha, pull.Seed.HeadSha, http.RequestAborted);
        }

        return ApiResponse.Ok(services.Objects.PullRequest(repository, pull, full: true, request.ApiVersion, commits));
    }
}
