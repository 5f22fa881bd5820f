using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DeployGuard.GitHub.Serialization;

namespace DeployGuard.GitHub.Auth;

/// <summary>
/// The JSON Web Token a GitHub App signs to ask for installation tokens: RS256, issued 60 s in the past (GitHub's
/// advice against clock drift), expiring 9 minutes ahead (GitHub refuses more than 10), issuer = the App ID.
/// </summary>
internal static class GitHubAppJwt
{
    public static readonly TimeSpan Backdate = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(9);

    public static string Create(RSA key, long appId, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(key);
        var header = JsonSerializer.SerializeToUtf8Bytes(new GitHubAppJwtHeader("RS256", "JWT"), GitHubJsonContext.Default.GitHubAppJwtHeader);
        var claims = JsonSerializer.SerializeToUtf8Bytes(
            new GitHubAppJwtClaims(
                (now - Backdate).ToUnixTimeSeconds(),
                (now + Lifetime).ToUnixTimeSeconds(),
                appId.ToString(CultureInfo.InvariantCulture)),
            GitHubJsonContext.Default.GitHubAppJwtClaims);

        var signingInput = $"{Base64Url.EncodeToString(header)}.{Base64Url.EncodeToString(claims)}";
        var signature = key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{signingInput}.{Base64Url.EncodeToString(signature)}";
    }
}
