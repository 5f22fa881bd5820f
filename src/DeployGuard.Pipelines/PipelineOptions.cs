using Microsoft.Extensions.Options;

namespace DeployGuard.Pipelines;

/// <summary>
/// How pipelines are delivered (SPEC §5), bound from <c>DeployGuard:Pipelines</c>. What is delivered where is the
/// policy's business (<c>deployguard.yml</c>); these are the controller's knobs: retries, timeouts, the command
/// sandbox. Checked at start by <see cref="PipelineOptionsValidator"/>.
/// </summary>
public sealed class PipelineOptions
{
    public const string Section = "DeployGuard:Pipelines";

    /// <summary>
    /// The controller's own secrets, removed from every command's environment: a deploy script has no business with
    /// the GitHub token that gates deploys. Configured names are added to these (the configuration binder appends).
    /// </summary>
    public static IReadOnlyList<string> DefaultScrubEnvironment { get; } =
        ["DEPLOYGUARD__GITHUB__TOKEN", "DEPLOYGUARD__GITHUB__WEBHOOKSECRET", "GITHUB_TOKEN"];

    /// <summary>Timeout of one webhook attempt (real time: it bounds the network, not the business clock).</summary>
    public TimeSpan WebhookTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Attempts per webhook delivery, the first included; only transient failures are tried again.</summary>
    public int WebhookMaxAttempts { get; set; } = 4;

    /// <summary>Total time one delivery may take, waits included. A retry that would end later is not attempted.</summary>
    public TimeSpan WebhookRetryBudget { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>First backoff after a transient failure; doubles per attempt, with jitter. A <c>Retry-After</c> wins.</summary>
    public TimeSpan WebhookRetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Where command pipelines run, and what a relative program path such as <c>./scripts/deploy.sh</c> is resolved
    /// against. Null: the controller's current directory.
    /// </summary>
    public string? CommandDirectory { get; set; }

    /// <summary>
    /// Environment variables removed from a command's environment. Matched case-insensitively, <c>:</c> and
    /// <c>__</c> alike (configuration reads both); a trailing <c>*</c> matches a prefix (<c>MYCORP_VAULT_*</c>).
    /// </summary>
    public IList<string> ScrubEnvironment { get; set; } = [.. DefaultScrubEnvironment];

    /// <summary>github-actions: how long after a dispatch its run may take to appear in the workflow's runs.</summary>
    public TimeSpan RunLookupGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>github-actions: how long a run may take before it is recorded as failed.</summary>
    public TimeSpan RunTimeout { get; set; } = TimeSpan.FromHours(2);

    /// <summary>github-actions and repository-dispatch: attempts of the dispatch call itself.</summary>
    public int MaxDispatchAttempts { get; set; } = 3;
}

/// <summary>Every invalid <see cref="PipelineOptions"/> setting at once, each naming its configuration key.</summary>
public sealed class PipelineOptionsValidator : IValidateOptions<PipelineOptions>
{
    public ValidateOptionsResult Validate(string? name, PipelineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string p = PipelineOptions.Section;
        List<string> failures = [];

        void Between(string key, TimeSpan value, TimeSpan min, TimeSpan max)
        {
            if (value < min || value > max)
            {
                failures.Add($"{p}:{key} must be between {min:c} and {max:c} (was {value:c})");
            }
        }

        void Count(string key, int value, int min, int max)
        {
            if (value < min || value > max)
            {
                failures.Add($"{p}:{key} must be between {min} and {max} (was {value})");
            }
        }

        Between(nameof(options.WebhookTimeout), options.WebhookTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
        Count(nameof(options.WebhookMaxAttempts), options.WebhookMaxAttempts, 1, 10);
        Between(nameof(options.WebhookRetryBudget), options.WebhookRetryBudget, TimeSpan.Zero, TimeSpan.FromHours(1));
        Between(nameof(options.WebhookRetryBaseDelay), options.WebhookRetryBaseDelay, TimeSpan.Zero, TimeSpan.FromMinutes(1));
        // The github pipelines' own limits (GitHubActionsPipelineOptions).
        Between(nameof(options.RunLookupGrace), options.RunLookupGrace, TimeSpan.Zero, TimeSpan.FromMinutes(10));
        Between(nameof(options.RunTimeout), options.RunTimeout, TimeSpan.FromMinutes(1), TimeSpan.FromDays(7));
        Count(nameof(options.MaxDispatchAttempts), options.MaxDispatchAttempts, 1, 10);

        if (options.CommandDirectory is { } directory)
        {
            if (string.IsNullOrWhiteSpace(directory))
            {
                failures.Add($"{p}:{nameof(options.CommandDirectory)} is empty: leave it unset for the current directory");
            }
            else if (!Directory.Exists(directory))
            {
                failures.Add($"{p}:{nameof(options.CommandDirectory)} '{directory}' does not exist");
            }
        }

        if (options.ScrubEnvironment is null)
        {
            failures.Add($"{p}:{nameof(options.ScrubEnvironment)} must be a list of environment variable names");
        }
        else
        {
            foreach (var entry in options.ScrubEnvironment)
            {
                if (string.IsNullOrWhiteSpace(entry) || entry.Contains('=', StringComparison.Ordinal) || entry.TrimEnd('*').Contains('*', StringComparison.Ordinal) || entry == "*")
                {
                    failures.Add($"{p}:{nameof(options.ScrubEnvironment)} entry '{entry}' must be a variable name, optionally ending in '*' for a prefix");
                }
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
