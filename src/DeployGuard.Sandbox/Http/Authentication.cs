using Microsoft.AspNetCore.Http;

namespace DeployGuard.Sandbox;

/// <summary>A caller identified by its token: who it acts as and whose rate-limit budget it spends.</summary>
internal sealed record Caller(string Login, string RateKey);

/// <summary>Token authentication as GitHub accepts it: <c>Authorization: Bearer &lt;token&gt;</c> or <c>token &lt;token&gt;</c>.</summary>
internal static class Authentication
{
    /// <summary>The caller, or null when the header is missing, malformed, unknown or expired.</summary>
    public static Caller? Identify(HttpRequest request, EmulatorServices services)
    {
        if (ReadCredential(request, "Bearer", "token") is not { } token
            || services.State.FindToken(token) is not { } record
            || (record.ExpiresAt is { } expiresAt && services.Time.GetUtcNow() >= expiresAt))
        {
            return null;
        }

        return new Caller(record.Login, "token:" + token);
    }

    /// <summary>The credential after one of <paramref name="schemes"/> (case-insensitive), or null.</summary>
    public static string? ReadCredential(HttpRequest request, params string[] schemes)
    {
        var header = request.Headers.Authorization.ToString().Trim();
        var space = header.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0)
        {
            return null;
        }

        var scheme = header[..space];
        var credential = header[(space + 1)..].Trim();
        return credential.Length > 0 && schemes.Any(s => string.Equals(s, scheme, StringComparison.OrdinalIgnoreCase)) ? credential : null;
    }
}
