namespace DeployGuard.Core.DeployFiles;

/// <summary>Helpers for full commit hashes: 40 hex digits (SHA-1) or 64 (SHA-256), stored lowercase.</summary>
public static class CommitHash
{
    public const int Sha1Length = 40;
    public const int Sha256Length = 64;

    public static bool IsFullHash(ReadOnlySpan<char> value) =>
        (value.Length == Sha1Length || value.Length == Sha256Length) && IsHex(value);

    public static bool IsHex(ReadOnlySpan<char> value)
    {
        foreach (var c in value)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return value.Length > 0;
    }

    /// <summary>The 12-character prefix used in deploy ids and log lines.</summary>
    public static string Abbreviate(string hash) => hash.Length > 12 ? hash[..12] : hash;
}
