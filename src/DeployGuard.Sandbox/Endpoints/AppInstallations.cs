using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DeployGuard.Sandbox;

/// <summary>
/// POST /app/installations/{installation_id}/access_tokens: a GitHub App trades its JWT for an
/// installation token (<c>ghs_…</c>) that the API then accepts until it expires. JWT calls spend
/// the app's own rate-limit budget, not a token's.
/// </summary>
internal static class AppInstallations
{
    private const string Docs = "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app";
    private const string TokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private const string InstallationLogin = "deployguard[bot]";

    public static void Map(IEndpointRouteBuilder routes) =>
        Routes.Post(routes, "/app/installations/{installation_id}/access_tokens", HandleAsync).WithMetadata(AppJwtAuthentication.Instance);

    private static async Task<ApiResponse> HandleAsync(HttpContext http, EmulatorRequest request)
    {
        var services = request.Services;
        var now = services.Time.GetUtcNow();
        if (Authentication.ReadCredential(http.Request, "Bearer") is not { } jwt)
        {
            return ApiResponse.Error(StatusCodes.Status401Unauthorized, AppJwt.Undecodable, Docs);
        }

        var verdict = AppJwt.Verify(jwt, services.State.FindAppPublicKey, now);
        if (verdict.AppId is not { } appId)
        {
            return ApiResponse.Error(StatusCodes.Status401Unauthorized, verdict.Error!, Docs);
        }

        request.RateKey = "app:" + appId.ToString(CultureInfo.InvariantCulture);
        if (!services.RateLimits.TryConsume(request.RateKey, out _))
        {
            return ApiResponse.PrimaryRateLimit(InstallationLogin, services);
        }

        request.Reserved = true;
        if (!long.TryParse(Routes.Value(http, "installation_id"), NumberStyles.None, CultureInfo.InvariantCulture, out var installationId)
            || services.State.FindInstallation(installationId) is not { } installation
            || installation.AppId != appId)
        {
            return ApiResponse.NotFound(Docs);
        }

        var (permissions, selection) = await ReadRequestAsync(http);
        var token = "ghs_" + RandomNumberGenerator.GetString(TokenAlphabet, 36);
        var expiresAt = now + services.InstallationTokenLifetime;
        services.State.AddExpiringToken(token, InstallationLogin, expiresAt);
        return new ApiResponse(StatusCodes.Status201Created)
        {
            Json = new JsonObject
            {
                ["token"] = token,
                ["expires_at"] = GitHubObjects.Timestamp(expiresAt),
                ["permissions"] = permissions,
                ["repository_selection"] = selection,
            },
        };
    }

    /// <summary>The permissions asked for (all the app has when none are), and "selected" when repositories are named.</summary>
    private static async Task<(JsonObject Permissions, string Selection)> ReadRequestAsync(HttpContext http)
    {
        JsonObject? body = null;
        try
        {
            body = await JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted) as JsonObject;
        }
        catch (JsonException)
        {
            // No body or not JSON: GitHub treats it as "everything the installation may do".
        }

        var permissions = body?["permissions"] is JsonObject asked
            ? (JsonObject)asked.DeepClone()
            : new JsonObject
            {
                ["actions"] = "write",
                ["checks"] = "write",
                ["contents"] = "read",
                ["deployments"] = "write",
                ["members"] = "read",
                ["metadata"] = "read",
                ["pull_requests"] = "read",
                ["statuses"] = "write",
            };
        var selected = body?["repositories"] is JsonArray { Count: > 0 } || body?["repository_ids"] is JsonArray { Count: > 0 };
        return (permissions, selected ? "selected" : "all");
    }
}
