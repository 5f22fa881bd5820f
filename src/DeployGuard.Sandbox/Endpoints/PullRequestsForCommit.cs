using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DeployGuard.Sandbox;

/// <summary>
/// GET /repos/{owner}/{repo}/commits/{sha}/pulls: the pull requests a commit belongs to — merged
/// as it (merge or squash commit), at its head, or among its commits (<c>base..head</c>).
/// </summary>
internal static class PullRequestsForCommit
{
    private const string Docs = "https://docs.github.com/rest/commits/commits#list-pull-requests-associated-with-a-commit";

    public static void Map(IEndpointRouteBuilder routes) =>
        Routes.Get(routes, "/repos/{owner}/{repo}/commits/{sha}/pulls", HandleAsync);

    private static async Task<ApiResponse> HandleAsync(HttpContext http, EmulatorRequest request)
    {
        var (repository, error) = Routes.Repository(http, request, Docs, needsGit: true);
        if (repository is null)
        {
            return error!;
        }

        var services = request.Services;
        var directory = repository.GitDirectory!;
        var requested = Routes.Value(http, "sha");
        var sha = await services.Git.ResolveCommitAsync(directory, requested, http.RequestAborted);
        if (sha is null)
        {
            return ApiResponse.Error(StatusCodes.Status422UnprocessableEntity, $"No commit found for SHA: {requested}", Docs);
        }

        List<PullRequestRecord> found = [];
        foreach (var pull in services.State.ListPullRequests(repository.FullName))
        {
            if (pull.Seed.MergeCommitSha == sha || pull.Seed.HeadSha == sha
                || (await services.Git.IsAncestorAsync(directory, sha, pull.Seed.HeadSha, http.RequestAborted)
                    && !await services.Git.IsAncestorAsync(directory, sha, pull.Seed.BaseSha, http.RequestAborted)))
            {
                found.Add(pull);
            }
        }

        var (page, link) = Pagination.Slice(found, Pagination.Read(http.Request, services.DefaultPageSize), http.Request, services.Urls);
        return ApiResponse.Ok(
            new JsonArray([.. page.Select(pull => (JsonNode)services.Objects.PullRequest(repository, pull, full: false, request.ApiVersion))]),
            link);
    }
}
