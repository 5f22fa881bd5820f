using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DeployGuard.Sandbox;

/// <summary>
/// GET /repos/{owner}/{repo}/compare/{base}...{head}, computed by git: status, ahead/behind counts
/// (<c>rev-list --count</c>), and head's commits that base lacks, oldest first. Without paging
/// parameters the list stops at 250 commits (GitHub's rule); with <c>page</c> or <c>per_page</c> it
/// is paginated over all of them. Branch names and shas are both accepted; the changed-files list
/// is not emulated.
/// </summary>
internal static class Compare
{
    public const int MaxCommits = 250;

    private const string Docs = "https://docs.github.com/rest/commits/commits#compare-two-commits";

    public static void Map(IEndpointRouteBuilder routes) =>
        Routes.Get(routes, "/repos/{owner}/{repo}/compare/{**basehead}", HandleAsync);

    private static async Task<ApiResponse> HandleAsync(HttpContext http, EmulatorRequest request)
    {
        var (repository, error) = Routes.Repository(http, request, Docs, needsGit: true);
        if (repository is null)
        {
            return error!;
        }

        var basehead = Routes.Value(http, "basehead");
        var dots = basehead.IndexOf("...", StringComparison.Ordinal);
        if (dots <= 0 || dots + 3 >= basehead.Length)
        {
            return ApiResponse.NotFound(Docs);
        }

        var services = request.Services;
        var directory = repository.GitDirectory!;
        var cancel = http.RequestAborted;
        var (baseName, headName) = (basehead[..dots], basehead[(dots + 3)..]);
        var baseSha = await services.Git.ResolveCommitAsync(directory, baseName, cancel);
        var headSha = await services.Git.ResolveCommitAsync(directory, headName, cancel);
        if (baseSha is null || headSha is null)
        {
            return ApiResponse.NotFound(Docs);
        }

        if (await services.Git.MergeBaseAsync(directory, baseSha, headSha, cancel) is not { } mergeBase)
        {
            return ApiResponse.Error(StatusCodes.Status404NotFound, $"No common ancestor between {baseName} and {headName}.", Docs);
        }

        var aheadBy = await services.Git.CountAsync(directory, baseSha, headSha, cancel);
        var behindBy = await services.Git.CountAsync(directory, headSha, baseSha, cancel);
        var status = (aheadBy, behindBy) switch
        {
            (0, 0) => "identical",
            (_, 0) => "ahead",
            (0, _) => "behind",
            _ => "diverged",
        };

        var shas = await services.Git.RangeAsync(directory, baseSha, headSha, cancel);
        var paging = Pagination.Read(http.Request, services.DefaultPageSize);
        var (listed, link) = paging.Explicit
            ? Pagination.Slice(shas, paging, http.Request, services.Urls)
            : ([.. shas.Take(MaxCommits)], null);
        var commits = await services.Git.CommitsAsync(directory, listed, cancel);
        var baseCommit = await services.Git.CommitAsync(directory, baseSha, cancel);
        var mergeBaseCommit = await services.Git.CommitAsync(directory, mergeBase, cancel);

        var objects = services.Objects;
        var html = $"{services.Urls.Web}/{repository.FullName}/compare/{basehead}";
        return ApiResponse.Ok(
            new JsonObject
            {
                ["url"] = $"{objects.RepositoryApi(repository)}/compare/{basehead}",
                ["html_url"] = html,
                ["permalink_url"] = $"{services.Urls.Web}/{repository.FullName}/compare/{repository.Owner}:{baseSha}...{repository.Owner}:{headSha}",
                ["diff_url"] = html + ".diff",
                ["patch_url"] = html + ".patch",
                ["base_commit"] = objects.Commit(repository, baseCommit),
                ["merge_base_commit"] = objects.Commit(repository, mergeBaseCommit),
                ["status"] = status,
                ["ahead_by"] = aheadBy,
                ["behind_by"] = behindBy,
                ["total_commits"] = aheadBy,
                ["commits"] = new JsonArray([.. commits.Select(c => (JsonNode)objects.Commit(repository, c))]),
            },
            link);
    }
}
