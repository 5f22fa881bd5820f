using System.Security.Cryptography;
using Microsoft.Extensions.Primitives;

namespace DeployGuard.Sandbox;

/// <summary>Weak ETags over the exact body bytes, as GitHub sends them (<c>W/"&lt;hex&gt;"</c>).</summary>
internal static class ETags
{
    public static string Compute(ReadOnlySpan<byte> body) => $"W/\"{Convert.ToHexStringLower(SHA256.HashData(body))}\"";

    /// <summary>RFC 9110 If-None-Match: a list of tags or "*", compared weakly (the W/ prefix is ignored).</summary>
    public static bool Matches(StringValues ifNoneMatch, string etag)
    {
        var opaque = Opaque(etag);
        foreach (var value in ifNoneMatch)
        {
            foreach (var candidate in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (candidate == "*" || Opaque(candidate) == opaque)
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static string Opaque(string tag) => tag.StartsWith("W/", StringComparison.Ordinal) ? tag[2..] : tag;
}
