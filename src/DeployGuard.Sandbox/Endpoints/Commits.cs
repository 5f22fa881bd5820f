using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DeployGuard.Sandbox;

/// <summary>
/// GET /repos/{owner}/{repo}/commits/{ref}: one commit, resolved by git from a sha (full or abbreviated), a branch
/// or a tag, in the shape <c>pulls/{n}/commits</c> lists it, with the GitHub users of mapped emails. A ref git
/// cannot resolve is GitHub's 422 "No commit found for SHA"; the changed files and diff statistics are not emulated.
/// Refs may hold slashes (<c>release/1.0</c>), so this route takes the rest of the path, and
/// <c>…/{ref}/status</c> and <c>…/{ref}/check-runs</c> for such refs arrive here too and are passed on.
/// </summary>
internal static class Commits
{
    private const string Docs = "https://docs.github.com/rest/commits/commits#get-a-commit";

    public static void Map(IEndpointRouteBuilder routes) =>
        Routes.Get(routes, "/repos/{owner}/{repo}/commits/{**ref}", HandleAsync);

    /// <summary>
    /// The repository and the full sha <paramref name="ref"/> names, or the answer to give: 404 for an unknown
    /// repository, 409 for one without git data, <paramref name="unknownRefStatus"/> "No commit found for SHA" for a
    /// ref git cannot resolve.
    /// </summary>
    public static async Task<(RepositoryRecord? Repository, string Sha, ApiResponse? Error)> ResolveAsync(
        HttpContext http, EmulatorRequest request, string @ref, string docs, int unknownRefStatus)
    {
        var (repository, error) = Routes.Repository(http, request, docs, needsGit: true);
        if (repository is null)
        {
            return (null, "", error);
        }

        if (await request.Services.Git.ResolveCommitAsync(repository.GitDirectory!, @ref, http.RequestAborted) is not { } sha)
        {
            return (null, "", ApiResponse.Error(unknownRefStatus, $"No commit found for SHA: {@ref}", docs));
        }

        return (repository, sha, null);
    }

    private static async Task<ApiResponse> HandleAsync(HttpContext http, EmulatorRequest request)
    {
        var path = Routes.Value(http, "ref");
        if (RefBefore(path, "/status") is { } statusRef)
        {
            return await Statuses.HandleAsync(http, request, statusRef);
        }

        if (RefBefore(path, "/check-runs") is { } checkRunsRef)
        {
            return await CheckRuns.HandleAsync(http, request, checkRunsRef);
        }

        if (path.Length == 0)
        {
            // GET …/commits/ is GitHub's commit listing, which is not emulated.
            return ApiResponse.NotFound(Docs);
        }

        var (repository, sha, error) = await ResolveAsync(http, request, path, Docs, StatusCodes.Status422UnprocessableEntity);
        if (repository is null)
        {
            return error!;
        }

        var services = request.Services;
        var commit = await services.Git.CommitAsync(repository.GitDirectory!, sha, http.RequestAborted);
        return ApiResponse.Ok(services.Objects.Commit(repository, commit));
    }

    private static string? RefBefore(string path, string suffix) =>
        path.Length > suffix.Length && path.EndsWith(suffix, StringComparison.Ordinal) ? path[..^suffix.Length] : null;
}
