using DeployGuard.Configuration;
using DeployGuard.Core.DeployFiles;
using DeployGuard.Core.Intents;
using DeployGuard.Core.Policy;
using DeployGuard.Core.Validation;
using DeployGuard.Git;
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
        var checkpoint = await services.GetRequiredService<ICheckpointStore>().GetAsync(cancellationToken);
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
                await WritePendingAsync(p.Set, repository, layout, output, cancellationToken);
                return ExitCodes.Success;

            default:
                throw new InvalidOperationException($"unknown detection {detection}");
        }
    }

    private static async Task WritePendingAsync(IntentSet set, IDeployRepository repository, DeployLayout layout, TextWriter output, CancellationToken cancellationToken)
    {
        if (set.Intents.Count == 0 && set.Problems.Count == 0)
        {
            await output.WriteLineAsync("  no deploy file changed.");
        }

        var policies = new Dictionary<string, DeployPolicy?>(StringComparer.Ordinal);
        foreach (var intent in set.Intents)
        {
            var what = intent.Kind == IntentKind.Remove
                ? "remove"
                : intent.Commit is null ? "deploy (invalid file)" : $"deploy {CommitHash.Abbreviate(intent.Commit)}";
            var from = intent.PreviousCommit is null ? "" : $" (was {CommitHash.Abbreviate(intent.PreviousCommit)})";
            var verdict = await VerdictAsync(intent, repository, layout, policies, cancellationToken);
            await output.WriteLineAsync($"  {intent.DeployId,-40} {intent.Key,-28} {what}{from}: {verdict}");
        }

        foreach (var problem in set.Problems)
        {
            await output.WriteLineAsync($"  layout error in {CommitHash.Abbreviate(problem.DeployCommit)}: {problem.Error}");
        }
    }

    private static async Task<string> VerdictAsync(
        DeployIntent intent, IDeployRepository repository, DeployLayout layout, Dictionary<string, DeployPolicy?> policies, CancellationToken cancellationToken)
    {
        if (intent.SupersededBy is { } newer)
        {
            return $"superseded by {newer}";
        }

        if (intent.FileError is { } fileError)
        {
            return $"refused: {fileError}";
        }

        if (intent.Kind == IntentKind.Remove)
        {
            return "removed (recorded; no pipeline runs)";
        }

        var policy = await PolicyAtAsync(intent.PolicyCommit, repository, layout, policies, cancellationToken);
        if (policy is null)
        {
            return $"refused: the policy {layout.PolicyPath} at {CommitHash.Abbreviate(intent.PolicyCommit ?? "")} is missing or invalid (run 'deployguard check')";
        }

        if (!policy.Environments.ContainsKey(intent.Environment))
        {
            return $"refused: environment '{intent.Environment}' is not in {layout.PolicyPath}";
        }

        if (!policy.Apps.TryGetValue(intent.App, out var app))
        {
            return $"refused: app '{intent.App}' is not in {layout.PolicyPath}";
        }

        var pipeline = app.PipelineFor(intent.Environment);
        return $"ready for review checks (pipeline {pipeline.Type}); approvals and safety checks are evaluated by later stages";
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
