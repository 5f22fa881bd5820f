using DeployGuard.Configuration;
using DeployGuard.Controller;
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
                if (services.GetService<GitHubChecks>() is null)
                {
                    await output.WriteLineAsync("  (approvals and checks are not verified: set DeployGuard:Repository:GitHub and a GitHub token)");
                }

                await WritePendingAsync(p.Set, new PlanContext(services.GetRequiredService<IntentJudge>()), output, cancellationToken);
                return ExitCodes.Success;

            default:
                throw new InvalidOperationException($"unknown detection {detection}");
        }
    }

    private sealed record PlanContext(IntentJudge Judge);

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

    /// <summary>
    /// The controller's own judgement (<see cref="IntentJudge"/>), every check with its verdict;
    /// nothing is claimed, triggered or recorded.
    /// </summary>
    private static async Task<(string Verdict, IReadOnlyList<string> Details)> VerdictAsync(DeployIntent intent, PlanContext context, CancellationToken cancellationToken)
    {
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

        var verdict = await context.Judge.JudgeAsync(intent, cancellationToken);
        var details = verdict.Checks.Concat(verdict.Reviewers).ToList();
        return verdict switch
        {
            Verdict.Approved a => ($"approved ({a.Summary}, {Where(a.PullRequest)}); pipeline {a.Pipeline.Type}{(a.Rollback ? "; ROLLBACK" : "")}{(a.FreezeOverride ? "; freeze overridden" : "")}", details),
            Verdict.Refused r => ($"refused ({Where(r.PullRequest)}): {string.Join("; ", r.Reasons)}", details),
            Verdict.Deferred d => ($"deferred: {d.Reason}", details),
            Verdict.Waiting w => ($"waiting: {w.Reason}", details),
            _ => throw new InvalidOperationException($"unknown verdict {verdict}"),
        };
    }

    private static string Where(PullRequestFact? pullRequest) => pullRequest is null ? "no pull request" : $"PR #{pullRequest.Number}";
}
