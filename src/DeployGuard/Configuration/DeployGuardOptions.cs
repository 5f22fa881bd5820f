using DeployGuard.Core.DeployFiles;
using Microsoft.Extensions.Options;

namespace DeployGuard.Configuration;

/// <summary>
/// Service configuration under <c>DeployGuard:</c> (SPEC §7). The key names are a stable
/// contract: tooling outside the project sets them. <c>DeployGuard:GitHub</c> is bound and
/// validated by the GitHub client's own options (<c>GitHubClientOptions</c>), in one place.
/// </summary>
public sealed class DeployGuardOptions
{
    public const string Section = "DeployGuard";

    public RepositoryOptions Repository { get; set; } = new();

    public string WorkDir { get; set; } = "./.deployguard";

    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    public HttpOptions Http { get; set; } = new();
}

public sealed class RepositoryOptions
{
    /// <summary>Clone URL or local path of the deploy repository.</summary>
    public string? Url { get; set; }

    public string Branch { get; set; } = "main";

    public string Root { get; set; } = ".";

    /// <summary><c>owner/name</c> of the deploy repository on GitHub.</summary>
    public string? GitHub { get; set; }
}

public sealed class HttpOptions
{
    public string Urls { get; set; } = "http://127.0.0.1:8080";
}

/// <summary>
/// Checks every setting at once and names each failing key the way an operator sets it, so one
/// start-up attempt shows everything that is wrong.
/// </summary>
public sealed class DeployGuardOptionsValidator : IValidateOptions<DeployGuardOptions>
{
    public ValidateOptionsResult Validate(string? name, DeployGuardOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        const string p = DeployGuardOptions.Section;

        if (string.IsNullOrWhiteSpace(options.Repository.Url))
        {
            failures.Add($"{p}:Repository:Url is required: the clone URL or local path of the deploy repository (env DEPLOYGUARD__REPOSITORY__URL)");
        }

        if (string.IsNullOrWhiteSpace(options.Repository.Branch) || options.Repository.Branch.StartsWith('-') ||
            options.Repository.Branch.Contains("..", StringComparison.Ordinal) || options.Repository.Branch.Any(char.IsWhiteSpace))
        {
            failures.Add($"{p}:Repository:Branch '{options.Repository.Branch}' is not a valid branch name");
        }

        try
        {
            _ = new DeployLayout(options.Repository.Root);
        }
        catch (ArgumentException)
        {
            failures.Add($"{p}:Repository:Root '{options.Repository.Root}' must be a folder path inside the repository, without '..'");
        }

        if (options.Repository.GitHub is { } gh && !System.Text.RegularExpressions.Regex.IsMatch(gh, @"\A[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+\z"))
        {
            failures.Add($"{p}:Repository:GitHub '{gh}' must be owner/name");
        }

        if (string.IsNullOrWhiteSpace(options.WorkDir))
        {
            failures.Add($"{p}:WorkDir must name a folder");
        }

        if (options.PollInterval < TimeSpan.FromSeconds(1) || options.PollInterval > TimeSpan.FromHours(1))
        {
            failures.Add($"{p}:PollInterval {options.PollInterval} must be between 00:00:01 and 01:00:00");
        }

        foreach (var url in options.Http.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var u) || (u.Scheme != Uri.UriSchemeHttp && u.Scheme != Uri.UriSchemeHttps))
            {
                failures.Add($"{p}:Http:Urls '{url}' is not an http(s) URL");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
