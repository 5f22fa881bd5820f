using System.Security.Cryptography;
using System.Text;

namespace DeployGuard.Tests.Support;

/// <summary>Deterministic full commit hashes for deploy-file content in tests.</summary>
public static class Hashes
{
    // Not security: a stable 40-hex-digit value shaped like a SHA-1 commit id.
    public static string Sha1(string seed) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(seed)))[..40];

    public static string Sha256(string seed) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(seed)));

    public static string DeployFile(string commit, string note = "Deploy") => $"{commit}\n* {note}\n";
}
