namespace DeployGuard.GitHub.Auth;

internal static class TokenText
{
    /// <summary>
    /// Trims a token and refuses one that cannot be a header value. The message never contains the token:
    /// HTTP stacks quote bad header values in their errors, so we check first.
    /// </summary>
    public static string Validate(string? token, string origin)
    {
        var trimmed = token?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            throw new GitHubUnauthorizedException($"No GitHub token: {origin} is empty");
        }

        foreach (var c in trimmed)
        {
            if (c is < '!' or > '~')
            {
                throw new GitHubUnauthorizedException($"The GitHub token from {origin} contains whitespace or characters that are not printable ASCII");
            }
        }

        return trimmed;
    }
}
