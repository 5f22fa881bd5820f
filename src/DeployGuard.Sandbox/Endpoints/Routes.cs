using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DeployGuard.Sandbox;

/// <summary>An endpoint's work: from the request to the answer; <see cref="ApiResponse"/> does the HTTP part.</summary>
internal delegate Task<ApiResponse> ApiHandler(HttpContext http, EmulatorRequest request);

/// <summary>Registers every emulated endpoint, and the small helpers they share.</summary>
internal static class Routes
{
    public static void Map(IEndpointRouteBuilder routes)
    {
        PullRequestsForCommit.Map(routes);
        PullRequests.Map(routes);
        Reviews.Map(routes);
        PullRequestCommits.Map(routes);
        Compare.Map(routes);
        Collaborators.Map(routes);
        Teams.Map(routes);
        AppInstallations.Map(routes);
        RateLimitStatus.Map(routes);
    }

    public static IEndpointConventionBuilder Get(IEndpointRouteBuilder routes, string pattern, ApiHandler handler) =>
        routes.MapGet(pattern, http => RunAsync(http, handler));

    public static IEndpointConventionBuilder Post(IEndpointRouteBuilder routes, string pattern, ApiHandler handler) =>
        routes.MapPost(pattern, http => RunAsync(http, handler));

    public static string Value(HttpContext http, string name) => http.GetRouteValue(name) as string ?? "";

    public static int Number(HttpContext http, string name) => int.Parse(Value(http, name), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The repository named by the route, or the answer to give when it is unknown (404) or has no git data (409).</summary>
    public static (RepositoryRecord? Repository, ApiResponse? Error) Repository(HttpContext http, EmulatorRequest request, string docs, bool needsGit)
    {
        var repository = request.Services.State.FindRepository($"{Value(http, "owner")}/{Value(http, "repo")}");
        if (repository is null)
        {
            return (null, ApiResponse.NotFound(docs));
        }

        return needsGit && repository.GitDirectory is null ? (null, ApiResponse.EmptyRepository(docs)) : (repository, null);
    }

    private static async Task RunAsync(HttpContext http, ApiHandler handler)
    {
        var response = await handler(http, EmulatorRequest.Of(http));
        await response.ExecuteAsync(http);
    }
}
