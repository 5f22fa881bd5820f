using DeployGuard.Configuration;
using DeployGuard.Core.Checks;
using DeployGuard.Core.DeployFiles;
using DeployGuard.Core.Policy;
using DeployGuard.Core.Validation;
using DeployGuard.Git;
using DeployGuard.GitHub;
using DeployGuard.GitHub.Checks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DeployGuard.Cli;

/// <summary>
/// The checks <c>check</c> can run at pull-request time when GitHub credentials are configured:
/// every check of SPEC §4 that needs no approval (commit exists, release branch, checks green,
/// and the freeze as a warning), so a PR is red before anyone reviews a bad deploy. Promotion
/// needs the ledger and approvals need the merged PR: those are the controller's, after the merge.
/// </summary>
internal static class PullRequestChecks
{
    /// <summary>True when DeployGuard:GitHub has a credential (token, token file, or GitHub App).</summary>
    public static bool Configured(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["DeployGuard:GitHub:Token"]) ||
        !string.IsNullOrWhiteSpace(configuration["DeployGuard:GitHub:TokenFile"]) ||
        !string.IsNullOrWhiteSpace(configuration["DeployGuard:GitHub:AppId"]);

    public static async Task<IReadOnlyList<ValidationProblem>> RunAsync(
        IConfiguration configuration, GitDeployRepository repository, DeployLayout layout, string mergeBase, string head, IReadOnlyList<string> changedFiles, CancellationToken cancellationToken)
    {
        var services = new ServiceCollection();
        services.AddSingleton(configuration);
        services.AddLogging();
        services.AddSingleton(TimeProvider.System);
        services.AddGitHubClient();
        services.AddSingleton<CommitExistsCheck>();
        services.AddSingleton<ReleaseBranchCheck>();
        services.AddSingleton<ChecksGreenCheck>();
        await using var provider = services.BuildServiceProvider();

        var problems = new List<ValidationProblem>();
        var policy = (await new PolicySource(repository, layout).AtAsync(mergeBase, cancellationToken)).Policy;
        if (policy is null)
        {
            return problems;
        }

        foreach (var path in changedFiles)
        {
            if (layout.Classify(path).Location is not { } location ||
                policy.RulesFor(location.Environment) is not { } rules ||
                !policy.Apps.TryGetValue(location.App, out var app) ||
                await repository.ReadFileAsync(head, path, DeployFileParser.ReadLimit, cancellationToken) is not { } file ||
                DeployFileParser.Parse(file.Head.Span, file.IsWhole, path).Content?.Commit is not { } commit)
            {
                // Deleted, invalid or unknown: the local checks already said what is wrong.
                continue;
            }

            void Add(string code, CheckResult result)
            {
                switch (result)
                {
                    case CheckResult.Failed f:
                        problems.Add(new ValidationProblem(path, 1, 1, Severity.Error, code, f.Reason));
                        break;
                    case CheckResult.Pending p:
                        problems.Add(new ValidationProblem(path, 1, 1, Severity.Warning, code, $"{p.Reason} (the deploy waits for them after the merge)"));
                        break;
                    case CheckResult.CannotVerify c:
                        problems.Add(new ValidationProblem(path, 1, 1, Severity.Error, "cannot-verify", c.Reason));
                        break;
                }
            }

            var exists = await provider.GetRequiredService<CommitExistsCheck>().EvaluateAsync(app.Repository, commit, cancellationToken);
            Add("commit-missing", exists);
            if (exists is not CheckResult.Passed)
            {
                continue;
            }

            Add("not-on-release-branch", await provider.GetRequiredService<ReleaseBranchCheck>().EvaluateAsync(app.Repository, app.ReleaseBranch, commit, cancellationToken));
            if (rules.RequireChecks)
            {
                Add("checks-not-green", await provider.GetRequiredService<ChecksGreenCheck>().EvaluateAsync(app.Repository, commit, cancellationToken));
            }

            if (FreezeCalendar.At(rules.Freeze, DateTimeOffset.UtcNow) is { IsFrozen: true } freeze)
            {
                problems.Add(new ValidationProblem(path, 1, 1, Severity.Warning, "frozen", FreezeCheck.Frozen(location.Environment, freeze)));
            }
        }

        return problems;
    }

    /// <summary>Configuration as the other commands read it: appsettings.json, environment, switches.</summary>
    public static IConfiguration LoadConfiguration() => new ConfigurationBuilder().AddDeployGuardSources([]).Build();
}
