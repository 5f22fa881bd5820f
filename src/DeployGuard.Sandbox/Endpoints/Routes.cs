using System.Text.Json;
using System.Text.Json.Nodes;
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
        Commits.Map(routes);
        Statuses.Map(routes);
        CheckRuns.Map(routes);
        Collaborators.Map(routes);
        Teams.Map(routes);
        AppInstallations.Map(routes);
        RateLimitStatus.Map(routes);
        Actions.Map(routes);
        RepositoryDispatches.Map(routes);
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

    /// <summary>A request body that must be a JSON object, or GitHub's 400 "Problems parsing JSON".</summary>
    public static async Task<(JsonObject? Body, ApiResponse? Error)> ReadJsonObjectAsync(HttpContext http, string docs)
    {
        try
        {
            if (await JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted) is JsonObject body)
            {
                return (body, null);
            }
        }
        catch (JsonException)
        {
            // answered below, as any body that is not an object
        }

        return (null, ApiResponse.Error(StatusCodes.Status400BadRequest, "Problems parsing JSON", docs));
    }

    /// <summary>GitHub's 422 for a body that breaks the operation's schema.</summary>
    public static ApiResponse Invalid(string problem, string docs) =>
        ApiResponse.Error(StatusCodes.Status422UnprocessableEntity, $"Invalid request.\n\n{problem}", docs);

    /// <summary>An object's top-level properties in the order sent: strings as they are, other values as their JSON text.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> StringPairs(JsonObject? values) =>
        values is null
            ? []
            : [.. values.Select(p => new KeyValuePair<string, string>(
                p.Key,
                p.Value is JsonValue v && v.TryGetValue<string>(out var text) ? text : p.Value?.ToJsonString() ?? "null"))];

    private static async Task RunAsync(HttpContext http, ApiHandler handler)
    {
        var response = await handler(http, EmulatorRequest.Of(http));
        await response.ExecuteAsync(http);
    }
}
