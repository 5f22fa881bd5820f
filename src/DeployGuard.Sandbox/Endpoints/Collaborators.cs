using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DeployGuard.Sandbox;

/// <summary>
/// GET /repos/{owner}/{repo}/collaborators/{username}/permission. GitHub answers two fields:
/// <c>permission</c> is the legacy admin|write|read|none, <c>role_name</c> the actual role
/// (maintain shows as write, triage as read). 404 for users never given a role.
/// </summary>
internal static class Collaborators
{
    private const string Docs = "https://docs.github.com/rest/collaborators/collaborators#get-repository-permissions-for-a-user";

    public static void Map(IEndpointRouteBuilder routes) =>
        Routes.Get(routes, "/repos/{owner}/{repo}/collaborators/{username}/permission", Handle);

    private static Task<ApiResponse> Handle(HttpContext http, EmulatorRequest request)
    {
        var (repository, error) = Routes.Repository(http, request, Docs, needsGit: false);
        if (repository is null)
        {
            return Task.FromResult(error!);
        }

        var user = Routes.Value(http, "username");
        if (request.Services.State.FindPermission(repository.FullName, user) is not { } role)
        {
            return Task.FromResult(ApiResponse.NotFound(Docs));
        }

        var legacy = role switch
        {
            "maintain" => "write",
            "triage" => "read",
            _ => role,
        };
        return Task.FromResult(ApiResponse.Ok(new JsonObject
        {
            ["permission"] = legacy,
            ["role_name"] = role,
            ["user"] = request.Services.Objects.User(user),
        }));
    }
}
