using System.Text.RegularExpressions;

namespace DeployGuard.GitHub.Http;

/// <summary>
/// Builds the relative REST paths. Every caller-supplied piece is checked and escaped, so a repository named
/// <c>../x</c> or a user with a <c>?</c> can never address another endpoint.
/// </summary>
internal static partial class GitHubPaths
{
    public static string Repository(string repository)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(repository);
        if (!RepositoryPattern().IsMatch(repository))
        {
            throw new ArgumentException($"'{repository}' is not a GitHub repository: expected owner/name", nameof(repository));
        }

        var slash = repository.IndexOf('/', StringComparison.Ordinal);
        return $"repos/{Segment(repository[..slash])}/{Segment(repository[(slash + 1)..])}";
    }

    /// <summary>One path segment: anything but a plain name is percent-encoded; dot segments are refused.</summary>
    public static string Segment(string value, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(value))] string? name = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value, name);
        if (value is "." or "..")
        {
            throw new ArgumentException($"'{value}' is not a valid {name}", name);
        }

        return Uri.EscapeDataString(value);
    }

    /// <summary>A commit SHA or ref for <c>compare/{base}...{head}</c>: slashes of branch names stay, the rest is escaped.</summary>
    public static string Revision(string value, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(value))] string? name = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value, name);
        if (value.Contains("..", StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{value}' is not a valid {name}: '..' is not allowed", name);
        }

        return string.Join('/', value.Split('/').Select(part => Uri.EscapeDataString(part)));
    }

    [GeneratedRegex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")]
    private static partial Regex RepositoryPattern();
}
