using DeployGuard.Core.DeployFiles;
using Microsoft.Extensions.Options;

namespace DeployGuard.Configuration;

/// <summary>
/// Service configuration under <c>DeployGuard:</c> (SPEC §7). The key names are a stable
/// contract: tooling outside the project sets them.
/// </summary>
public sealed class DeployGuardOptions
{
    public const string Section = "DeployGuard";

    public RepositoryOptions Repository { get; set; } = new();

    public string WorkDir { get; set; } = "./.deployguard";

    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    public GitHubOptions GitHub { get; set; } = new();

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

public sealed class GitHubOptions
{
    public string ApiUrl { get; set; } = "https://api.github.com";

    /// <summary>A secret: set it from the environment or a file, never in committed configuration.</summary>
    public string? Token { get; set; }

    public string? TokenFile { get; set; }

    public long? AppId { get; set; }

    public string? PrivateKeyFile { get; set; }

    public long? InstallationId { get; set; }

    public string? WebhookSecret { get; set; }

    public override string ToString() => $"GitHub {{ ApiUrl = {ApiUrl}, Token = {(Token is null ? "unset" : "***")} }}";
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

        if (options.Repository.GitHub is { } gh && !System.Text.RegularExpressions.Regex.IsMatch(gh, "^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$"))
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

        if (!Uri.TryCreate(options.GitHub.ApiUrl, UriKind.Absolute, out var api) || (api.Scheme != Uri.UriSchemeHttps && api.Scheme != Uri.UriSchemeHttp))
        {
            failures.Add($"{p}:GitHub:ApiUrl '{options.GitHub.ApiUrl}' must be an absolute http(s) URL");
        }

        if (options.GitHub.Token is not null && options.GitHub.TokenFile is not null)
        {
            failures.Add($"{p}:GitHub:Token and {p}:GitHub:TokenFile are both set: choose one");
        }

        if (options.GitHub.TokenFile is { } tokenFile && !File.Exists(tokenFile))
        {
            failures.Add($"{p}:GitHub:TokenFile '{tokenFile}' does not exist");
        }

        var app = new object?[] { options.GitHub.AppId, options.GitHub.PrivateKeyFile, options.GitHub.InstallationId };
        if (app.Any(v => v is not null) && app.Any(v => v is null))
        {
            failures.Add($"{p}:GitHub:AppId, {p}:GitHub:PrivateKeyFile and {p}:GitHub:InstallationId go together: set all three to authenticate as a GitHub App");
        }

        if (options.GitHub.PrivateKeyFile is { } keyFile && !File.Exists(keyFile))
        {
            failures.Add($"{p}:GitHub:PrivateKeyFile '{keyFile}' does not exist");
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
