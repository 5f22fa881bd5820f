using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DeployGuard.Sandbox;

/// <summary>
/// POST /repos/{owner}/{repo}/dispatches: a <c>repository_dispatch</c> event, validated as GitHub documents it and
/// recorded for <see cref="EmulatorState.RepositoryDispatches"/>. Nothing is triggered.
/// </summary>
internal static class RepositoryDispatches
{
    /// <summary>GitHub: "Must be 100 characters or fewer."</summary>
    public const int MaxEventTypeLength = 100;

    /// <summary>GitHub: "The maximum number of top-level properties is 10."</summary>
    public const int MaxPayloadProperties = 10;

    private const string Docs = "https://docs.github.com/rest/repos/repos#create-a-repository-dispatch-event";

    public static void Map(IEndpointRouteBuilder routes) =>
        Routes.Post(routes, "/repos/{owner}/{repo}/dispatches", HandleAsync);

    private static async Task<ApiResponse> HandleAsync(HttpContext http, EmulatorRequest request)
    {
        var (repository, error) = Routes.Repository(http, request, Docs, needsGit: false);
        if (repository is null)
        {
            return error!;
        }

        var (body, invalid) = await Routes.ReadJsonObjectAsync(http, Docs);
        if (body is null)
        {
            return invalid!;
        }

        if (body["event_type"] is not JsonValue value || !value.TryGetValue<string>(out var eventType) || eventType.Length == 0)
        {
            return Routes.Invalid("\"event_type\" wasn't supplied.", Docs);
        }

        if (eventType.Length > MaxEventTypeLength)
        {
            return Routes.Invalid($"event_type is too long (maximum is {MaxEventTypeLength} characters).", Docs);
        }

        var payload = body["client_payload"];
        if (payload is not null and not JsonObject)
        {
            return Routes.Invalid($"For 'properties/client_payload', {payload.ToJsonString()} is not an object.", Docs);
        }

        if (payload is JsonObject { Count: > MaxPayloadProperties } tooMany)
        {
            return Routes.Invalid($"No more than {MaxPayloadProperties} properties are allowed; {tooMany.Count} were supplied.", Docs);
        }

        request.Services.State.AddRepositoryDispatch(repository.FullName, eventType, Routes.StringPairs(payload as JsonObject));
        return new ApiResponse(StatusCodes.Status204NoContent);
    }
}
