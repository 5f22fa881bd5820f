using DeployGuard.Core.DeployFiles;
using DeployGuard.Git;
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

    public LedgerOptions Ledger { get; set; } = new();

    /// <summary>
    /// Names this controller in its ledger claims. Default: host name and work directory, so a
    /// restarted controller knows its own unfinished claims and recovers them at once.
    /// </summary>
    public string? ReplicaId { get; set; }

    public string EffectiveReplicaId =>
        string.IsNullOrWhiteSpace(ReplicaId)
            ? $"{System.Environment.MachineName}:{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Path.GetFullPath(WorkDir))))[..8]}"
            : ReplicaId.Trim();
}

public sealed class LedgerOptions
{
    /// <summary>The git identity of ledger notes (SPEC §6).</summary>
    public string UserName { get; set; } = GitIdentity.Default.Name;

    public string UserEmail { get; set; } = GitIdentity.Default.Email;

    /// <summary>
    /// How long another replica's unfinished claim is left alone before this one takes it over.
    /// Longer than any pipeline delivery (command timeouts included), or a slow delivery could be
    /// delivered twice.
    /// </summary>
    public TimeSpan ClaimTimeout { get; set; } = TimeSpan.FromHours(1);

    public GitIdentity Identity => new(UserName, UserEmail);
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

        foreach (var (key, value) in new[] { ("UserName", options.Ledger.UserName), ("UserEmail", options.Ledger.UserEmail) })
        {
            if (string.IsNullOrWhiteSpace(value) || value.IndexOfAny(['<', '>', '\n', '\r', '\0']) >= 0)
            {
                failures.Add($"{p}:Ledger:{key} '{value}' must be non-empty, without '<', '>' or line breaks (it becomes the git identity of ledger notes)");
            }
        }

        if (options.Ledger.ClaimTimeout < TimeSpan.FromMinutes(1))
        {
            failures.Add($"{p}:Ledger:ClaimTimeout {options.Ledger.ClaimTimeout} must be at least 00:01:00 and longer than any pipeline delivery");
        }

        if (options.ReplicaId is { } replica && (replica.Length > 200 || replica.Any(char.IsControl)))
        {
            failures.Add($"{p}:ReplicaId must be at most 200 characters, without control characters");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
