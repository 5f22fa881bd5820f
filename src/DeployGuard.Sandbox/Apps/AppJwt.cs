using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace DeployGuard.Sandbox;

/// <summary>The outcome of checking a GitHub App JWT: the app it proves, or GitHub's reason to refuse it.</summary>
internal sealed record AppJwtResult(long? AppId, string? Error);

/// <summary>
/// Verifies a GitHub App's JSON Web Token the way GitHub documents it: RS256 signed with the app's
/// private key, <c>iss</c> the app id (number or string), <c>iat</c> not in the future, <c>exp</c> in
/// the future and at most 10 minutes after <c>iat</c>.
/// </summary>
internal static class AppJwt
{
    public const string Undecodable = "A JSON web token could not be decoded";

    private static readonly TimeSpan MaxLifetime = TimeSpan.FromMinutes(10);

    public static AppJwtResult Verify(string jwt, Func<long, string?> publicKeyOf, DateTimeOffset now)
    {
        var parts = jwt.Split('.');
        if (parts.Length != 3
            || Decode(parts[0]) is not { } headerBytes
            || Decode(parts[1]) is not { } payloadBytes
            || Decode(parts[2]) is not { } signature)
        {
            return Refused(Undecodable);
        }

        try
        {
            using var header = JsonDocument.Parse(headerBytes);
            using var payload = JsonDocument.Parse(payloadBytes);
            if (header.RootElement.ValueKind != JsonValueKind.Object
                || !header.RootElement.TryGetProperty("alg", out var alg) || alg.ValueKind != JsonValueKind.String || alg.GetString() != "RS256"
                || payload.RootElement.ValueKind != JsonValueKind.Object)
            {
                return Refused(Undecodable);
            }

            var claims = payload.RootElement;
            if (Issuer(claims) is not { } appId)
            {
                return Refused("'Issuer' claim ('iss') must be an Integer");
            }

            if (publicKeyOf(appId) is not { } pem || !SignatureMatches(pem, parts[0] + "." + parts[1], signature))
            {
                return Refused(Undecodable);
            }

            var nowSeconds = now.ToUnixTimeSeconds();
            if (Seconds(claims, "iat") is not { } issuedAt || issuedAt > nowSeconds)
            {
                return Refused("'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued");
            }

            if (Seconds(claims, "exp") is not { } expires || expires <= nowSeconds)
            {
                return Refused("'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires");
            }

            if (expires - issuedAt > (long)MaxLifetime.TotalSeconds)
            {
                return Refused("'Expiration time' claim ('exp') is too far in the future");
            }

            return new AppJwtResult(appId, null);
        }
        catch (JsonException)
        {
            return Refused(Undecodable);
        }
    }

    private static AppJwtResult Refused(string reason) => new(null, reason);

    private static long? Issuer(JsonElement claims)
    {
        if (!claims.TryGetProperty("iss", out var iss))
        {
            return null;
        }

        return iss.ValueKind switch
        {
            JsonValueKind.Number when iss.TryGetInt64(out var n) => n,
            JsonValueKind.String when long.TryParse(iss.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) => n,
            _ => null,
        };
    }

    private static long? Seconds(JsonElement claims, string name) =>
        claims.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var seconds)
            ? (long)Math.Floor(seconds)
            : null;

    private static bool SignatureMatches(string publicKeyPem, string signedPart, byte[] signature)
    {
        using var rsa = RSA.Create();
        rsa.ImportFromPem(publicKeyPem);
        return rsa.VerifyData(Encoding.ASCII.GetBytes(signedPart), signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    private static byte[]? Decode(string base64Url)
    {
        var base64 = base64Url.Replace('-', '+').Replace('_', '/');
        base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
        var buffer = new byte[base64.Length];
        return base64Url.Length > 0 && Convert.TryFromBase64String(base64, buffer, out var written) ? buffer[..written] : null;
    }
}
