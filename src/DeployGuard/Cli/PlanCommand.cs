using DeployGuard.Configuration;
using DeployGuard.Core.Approvals;
using DeployGuard.Core.DeployFiles;
using DeployGuard.Core.Intents;
using DeployGuard.Core.Ledger;
using DeployGuard.Core.Policy;
using DeployGuard.Core.Validation;
using DeployGuard.Git;
using DeployGuard.GitHub.Approvals;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DeployGuard.Cli;

/// <summary>
/// <c>deployguard plan</c>: what the pending commits of the configured deploy repository would do.
/// It fetches, reads and reports; it triggers nothing and moves no checkpoint.
/// </summary>
internal static class PlanCommand
{
    public static async Task<int> RunAsync(IServiceProvider services, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var options = services.GetRequiredService<IOptions<DeployGuardOptions>>().Value;
        var mirror = services.GetRequiredService<LocalMirror>();
        var repository = services.GetRequiredService<IDeployRepository>();
        var layout = services.GetRequiredService<DeployLayout>();

        await mirror.SyncAsync(cancellationToken);
        var checkpoint = (await services.GetRequiredService<ILedger>().ReadStateAsync(cancellationToken)).Checkpoint;
        var detection = await services.GetRequiredService<IntentDetector>().DetectAsync(mirror.BranchRef, checkpoint, cancellationToken);

        await output.WriteLineAsync($"Deploy repository {GitCli.Redact(options.Repository.Url!)}, branch {options.Repository.Branch}, root {(layout.Root.Length == 0 ? "." : layout.Root)}");
        switch (detection)
        {
            case Detection.Baseline b:
                await output.WriteLineAsync($"First start: {CommitHash.Abbreviate(b.Tip)} would be recorded as the baseline. History is never replayed, so nothing deploys.");
                return ExitCodes.Success;

            case Detection.UpToDate u:
                await output.WriteLineAsync($"Up to date at {CommitHash.Abbreviate(u.Tip)}: nothing pending.");
                return ExitCodes.Success;

            case Detection.Diverged d:
                await output.WriteLineAsync(
                    $"DIVERGED: the last processed commit {CommitHash.Abbreviate(d.Checkpoint)} is no longer an ancestor of {options.Repository.Branch} " +
                    $"({CommitHash.Abbreviate(d.Tip)}): history was rewritten. Nothing deploys until an operator runs 'deployguard reset --to <commit>'.");
                return ExitCodes.Refused;

            case Detection.Pending p:
                await output.WriteLineAsync($"{p.CommitCount} commit(s) pending from {CommitHash.Abbreviate(p.Checkpoint)} to {CommitHash.Abbreviate(p.Tip)}:");
                var approvals = services.GetService<ApprovalCheck>();
                if (approvals is null)
                {
                    await output.WriteLineAsync("  (approvals are not checked: set DeployGuard:Repository:GitHub and a GitHub token)");
                }

                await WritePendingAsync(p.Set, new PlanContext(repository, layout, approvals, options), output, cancellationToken);
                return ExitCodes.Success;

            default:
                throw new InvalidOperationException($"unknown detection {detection}");
        }
    }

    private sealed record PlanContext(IDeployRepository Repository, DeployLayout Layout, ApprovalCheck? Approvals, DeployGuardOptions Options)
    {
        public Dictionary<string, DeployPolicy?> Policies { get; } = new(StringComparer.Ordinal);
    }

    private static async Task WritePendingAsync(IntentSet set, PlanContext context, TextWriter output, CancellationToken cancellationToken)
    {
        if (set.Intents.Count == 0 && set.Problems.Count == 0)
        {
            await output.WriteLineAsync("  no deploy file changed.");
        }

        foreach (var intent in set.Intents)
        {
            var what = intent.Kind == IntentKind.Remove
                ? "remove"
                : intent.Commit is null ? "deploy (invalid file)" : $"deploy {CommitHash.Abbreviate(intent.Commit)}";
            var from = intent.PreviousCommit is null ? "" : $" (was {CommitHash.Abbreviate(intent.PreviousCommit)})";
            var (verdict, details) = await VerdictAsync(intent, context, cancellationToken);
            await output.WriteLineAsync($"  {intent.DeployId,-40} {intent.Key,-28} {what}{from}: {verdict}");
            foreach (var line in details)
            {
                await output.WriteLineAsync($"      {line}");
            }
        }

        foreach (var problem in set.Problems)
        {
            await output.WriteLineAsync($"  layout error in {CommitHash.Abbreviate(problem.DeployCommit)}: {problem.Error}");
        }
    }

    private static async Task<(string Verdict, IReadOnlyList<string> Details)> VerdictAsync(DeployIntent intent, PlanContext context, CancellationToken cancellationToken)
    {
        var layout = context.Layout;
        if (intent.SupersededBy is { } newer)
        {
            return ($"superseded by {newer}", []);
        }

        if (intent.FileError is { } fileError)
        {
            return ($"refused: {fileError}", []);
        }

        if (intent.Kind == IntentKind.Remove)
        {
            return ("removed (recorded; no pipeline runs)", []);
        }

        var policy = await PolicyAtAsync(intent.PolicyCommit, context.Repository, layout, context.Policies, cancellationToken);
        if (policy is null)
        {
            return ($"refused: the policy {layout.PolicyPath} at {CommitHash.Abbreviate(intent.PolicyCommit ?? "")} is missing or invalid (run 'deployguard check')", []);
        }

        if (!policy.Environments.ContainsKey(intent.Environment))
        {
            return ($"refused: environment '{intent.Environment}' is not in {layout.PolicyPath}", []);
        }

        if (!policy.Apps.TryGetValue(intent.App, out var app))
        {
            return ($"refused: app '{intent.App}' is not in {layout.PolicyPath}", []);
        }

        var pipeline = $"pipeline {app.PipelineFor(intent.Environment).Type}";
        if (context.Approvals is null || context.Options.Repository.GitHub is not { } github)
        {
            return ($"approvals not checked; {pipeline}; safety checks arrive with later stages", []);
        }

        var outcome = await context.Approvals.EvaluateAsync(
            new ApprovalRequest(intent, policy, github, context.Options.Repository.Branch), cancellationToken);
        switch (outcome)
        {
            case ApprovalOutcome.CannotVerify waiting:
                return ($"waiting: {waiting.Reason}", []);
            case ApprovalOutcome.Decided { Decision: var decision, PullRequest: var pr }:
                var details = decision.Reviewers
                    .Select(r => r.Counts ? $"{r.Reviewer}: approved, counts"
                        : r.State == ReviewState.Approved ? $"{r.Reviewer}: approved, does not count: {r.WhyNot}"
                        : $"{r.Reviewer}: {r.WhyNot}")
                    .ToList();
                var where = pr is null ? "no pull request" : $"PR #{pr.Number}";
                return decision.Approved
                    ? ($"approved ({decision.Summary}, {where}); {pipeline}; safety checks arrive with later stages", details)
                    : ($"refused ({where}): {string.Join("; ", decision.Reasons)}", details);
            default:
                throw new InvalidOperationException($"unknown approval outcome {outcome}");
        }
    }

    private static async Task<DeployPolicy?> PolicyAtAsync(
        string? commit, IDeployRepository repository, DeployLayout layout, Dictionary<string, DeployPolicy?> cache, CancellationToken cancellationToken)
    {
        if (commit is null)
        {
            return null;
        }

        if (!cache.TryGetValue(commit, out var policy))
        {
            var file = await repository.ReadFileAsync(commit, layout.PolicyPath, 1024 * 1024, cancellationToken);
            policy = file is null ? null : PolicyParser.Parse(ChangeValidator.DecodePolicy(file.Head.Span), layout.PolicyPath).Policy;
            cache[commit] = policy;
        }

        return policy;
    }
}
