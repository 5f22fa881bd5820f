using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DeployGuard.Sandbox;

/// <summary>GET /repos/{owner}/{repo}/pulls/{number}/reviews: chronological; a pending review only for its author, as on GitHub.</summary>
internal static class Reviews
{
    private const string Docs = "https://docs.github.com/rest/pulls/reviews#list-reviews-for-a-pull-request";

    public static void Map(IEndpointRouteBuilder routes) =>
        Routes.Get(routes, "/repos/{owner}/{repo}/pulls/{number:int}/reviews", Handle);

    private static Task<ApiResponse> Handle(HttpContext http, EmulatorRequest request)
    {
        var (repository, error) = Routes.Repository(http, request, Docs, needsGit: false);
        if (repository is null)
        {
            return Task.FromResult(error!);
        }

        var services = request.Services;
        var number = Routes.Number(http, "number");
        if (services.State.FindPullRequest(repository.FullName, number) is null)
        {
            return Task.FromResult(ApiResponse.NotFound(Docs));
        }

        var visible = services.State.ListReviews(repository.FullName, number)
            .Where(r => r.Seed.State != "PENDING" || string.Equals(r.Seed.User, request.Login, StringComparison.OrdinalIgnoreCase))
            .ToList();
        var (page, link) = Pagination.Slice(visible, Pagination.Read(http.Request, services.DefaultPageSize), http.Request, services.Urls);
        return Task.FromResult(ApiResponse.Ok(new JsonArray([.. page.Select(r => (JsonNode)services.Objects.Review(repository, r))]), link));
    }
}
