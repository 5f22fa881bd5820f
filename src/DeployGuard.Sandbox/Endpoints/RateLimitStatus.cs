using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DeployGuard.Sandbox;

/// <summary>
/// GET /rate_limit: the caller's <c>core</c> budget (the only one the emulator counts) and GitHub's
/// other resources at their documented limits, untouched. Free, and answered even when the budget
/// is spent, as documented. <c>rate</c> is gone from API version 2026-03-10 on.
/// </summary>
internal static class RateLimitStatus
{
    // Limits of the resources the emulator does not count, from the official example.
    private static readonly (string Name, int Limit)[] OtherResources =
    [
        ("search", 30), ("graphql", 5000), ("integration_manifest", 5000), ("source_import", 100),
        ("actions_runner_registration", 10000), ("scim", 15000), ("dependency_snapshots", 100),
        ("code_search", 10), ("code_scanning_autofix", 10),
    ];

    public static void Map(IEndpointRouteBuilder routes) =>
        Routes.Get(routes, "/rate_limit", Handle).WithMetadata(RateLimitExempt.Instance);

    private static Task<ApiResponse> Handle(HttpContext http, EmulatorRequest request)
    {
        var core = request.RateLimitView();
        var resources = new JsonObject { ["core"] = Resource(core) };
        foreach (var (name, limit) in OtherResources)
        {
            resources[name] = Resource(new RateLimitView(limit, 0, core.Reset));
        }

        var body = new JsonObject { ["resources"] = resources };
        if (!GitHubObjects.IsNewApi(request.ApiVersion))
        {
            body["rate"] = Resource(core);
        }

        return Task.FromResult(ApiResponse.Ok(body) with { Counts = false });
    }

    private static JsonObject Resource(RateLimitView view) => new()
    {
        ["limit"] = view.Limit,
        ["used"] = view.Used,
        ["remaining"] = view.Remaining,
        ["reset"] = view.Reset.ToUnixTimeSeconds(),
    };
}
