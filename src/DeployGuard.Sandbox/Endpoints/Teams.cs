using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DeployGuard.Sandbox;

/// <summary>GET /orgs/{org}/teams/{team_slug}/memberships/{username}: role and state, 404 when not a member.</summary>
internal static class Teams
{
    private const string Docs = "https://docs.github.com/rest/teams/members#get-team-membership-for-a-user";

    public static void Map(IEndpointRouteBuilder routes) =>
        Routes.Get(routes, "/orgs/{org}/teams/{team_slug}/memberships/{username}", Handle);

    private static Task<ApiResponse> Handle(HttpContext http, EmulatorRequest request)
    {
        var user = Routes.Value(http, "username");
        var membership = request.Services.State.FindTeamMembership(Routes.Value(http, "org"), Routes.Value(http, "team_slug"), user);
        if (membership is null)
        {
            return Task.FromResult(ApiResponse.NotFound(Docs));
        }

        return Task.FromResult(ApiResponse.Ok(new JsonObject
        {
            ["url"] = $"{request.Services.Urls.Api}/teams/{membership.TeamId.ToString(CultureInfo.InvariantCulture)}/memberships/{user}",
            ["role"] = membership.Role,
            ["state"] = membership.State,
        }));
    }
}
