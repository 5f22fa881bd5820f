using System.Globalization;
using System.Text.Json;
using DeployGuard.Configuration;
using DeployGuard.Core.DeployFiles;
using DeployGuard.Core.Ledger;
using DeployGuard.Git;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DeployGuard.Cli;

/// <summary><c>history</c>, <c>status</c> and <c>reset --to</c>: the ledger for people (SPEC §7).</summary>
internal static class LedgerCommands
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>The ledger newest first, for one environment, one app, or everything.</summary>
    public static async Task<int> HistoryAsync(IServiceProvider services, string? filter, int limit, bool json, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var layout = services.GetRequiredService<DeployLayout>();
        string? environment = null, app = null;
        if (filter is not null)
        {
            var parts = filter.Split('/');
            if (parts.Length > 2 || parts.Any(p => !DeployLayout.IsValidName(p)))
            {
                await error.WriteLineAsync($"deployguard: '{filter}' is not ENV or ENV/APP (names match [a-z0-9][a-z0-9._-]*)");
                return ExitCodes.Usage;
            }

            environment = parts[0];
            app = parts.Length == 2 ? parts[1] : null;
        }

        var mirror = services.GetRequiredService<LocalMirror>();
        await mirror.SyncAsync(cancellationToken);
        var pathspec = environment is null ? layout.Pathspec : app is null ? $"{layout.Pathspec}{environment}/" : layout.PathOf(environment, app);
        var records = new List<LedgerRecord>();
        await foreach (var record in services.GetRequiredService<ILedger>().HistoryAsync(mirror.BranchRef, pathspec, cancellationToken))
        {
            if ((environment is null || record.Entry.Environment == environment) && (app is null || record.Entry.App == app))
            {
                records.Add(record);
                if (records.Count >= limit)
                {
                    break;
                }
            }
        }

        if (json)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(records.Select(r => ToJson(r)).ToList(), Json));
            return ExitCodes.Success;
        }

        if (records.Count == 0)
        {
            await output.WriteLineAsync("No deploys recorded yet.");
        }

        foreach (var (commit, e) in records)
        {
            var what = e.Commit is null ? "" : $" {CommitHash.Abbreviate(e.Commit)}";
            var pr = e.PullRequest is { } n ? $" PR #{n.ToString(CultureInfo.InvariantCulture)}" : "";
            var rollback = e.Rollback ? " ROLLBACK" : "";
            await output.WriteLineAsync($"{Stamp(e.At)}  {e.Key,-24} {LedgerEntry.Format(e.Status),-10}{what}{pr}{rollback}  ({e.DeployId})");
            if (!string.IsNullOrEmpty(e.Reason) && e.Status != DeployStatus.Succeeded)
            {
                await output.WriteLineAsync($"    {e.Reason}");
            }

            if (e.Run is not null)
            {
                await output.WriteLineAsync($"    run: {e.Run}");
            }
        }

        return ExitCodes.Success;
    }

    /// <summary>Per environment and app: what the branch asks for, what last succeeded, and where the newest deploy stands.</summary>
    public static async Task<int> StatusAsync(IServiceProvider services, TextWriter output, CancellationToken cancellationToken)
    {
        var layout = services.GetRequiredService<DeployLayout>();
        var mirror = services.GetRequiredService<LocalMirror>();
        var repository = services.GetRequiredService<GitDeployRepository>();
        var ledger = services.GetRequiredService<ILedger>();
        await mirror.SyncAsync(cancellationToken);
        var tip = await repository.ResolveCommitAsync(mirror.BranchRef, cancellationToken)
                  ?? throw new GitCommandException($"the watched branch {mirror.BranchRef} does not exist");

        var desired = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var files = (await repository.ListTreeAsync(tip, layout.Pathspec, cancellationToken))
            .Select(f => (f.Blob, Location: layout.Classify(f.Path).Location))
            .Where(f => f.Location is not null)
            .ToList();
        var heads = await repository.ReadBlobHeadsAsync(files.Select(f => f.Blob).ToList(), DeployFileParser.ReadLimit, cancellationToken);
        foreach (var (blob, location) in files)
        {
            var head = heads.GetValueOrDefault(blob);
            var commit = head is null ? null : DeployFileParser.Parse(head.Head.Span, head.IsWhole, location!.Path).Content?.Commit;
            desired[location!.Key] = commit ?? "(invalid deploy file)";
        }

        var newest = new Dictionary<string, LedgerEntry>(StringComparer.Ordinal);
        var deployed = new Dictionary<string, LedgerEntry>(StringComparer.Ordinal);
        await foreach (var (_, entry) in ledger.HistoryAsync(mirror.BranchRef, layout.Pathspec, cancellationToken))
        {
            newest.TryAdd(entry.Key, entry);
            if (entry.Status == DeployStatus.Succeeded)
            {
                deployed.TryAdd(entry.Key, entry);
            }
        }

        var state = await ledger.ReadStateAsync(cancellationToken);
        await output.WriteLineAsync($"Branch {mirror.BranchRef} at {CommitHash.Abbreviate(tip)}; processed to {(state.Checkpoint is null ? "(nothing yet)" : CommitHash.Abbreviate(state.Checkpoint))}");
        await output.WriteLineAsync($"{"ENVIRONMENT/APP",-28} {"DESIRED",-12} {"DEPLOYED",-12} LATEST");
        foreach (var key in desired.Keys.Union(newest.Keys).Order(StringComparer.Ordinal))
        {
            var want = desired.TryGetValue(key, out var d) ? Short(d) : "(removed)";
            var have = deployed.TryGetValue(key, out var s) && s.Commit is not null ? CommitHash.Abbreviate(s.Commit) : "-";
            var latest = newest.TryGetValue(key, out var n) ? $"{LedgerEntry.Format(n.Status)} {n.DeployId} {Stamp(n.At)}" : "no record";
            await output.WriteLineAsync($"{key,-28} {want,-12} {have,-12} {latest}");
        }

        return ExitCodes.Success;
    }

    /// <summary>The operator's recovery after a divergence: processing resumes after <paramref name="target"/>.</summary>
    public static async Task<int> ResetAsync(IServiceProvider services, string target, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var mirror = services.GetRequiredService<LocalMirror>();
        var repository = services.GetRequiredService<GitDeployRepository>();
        var ledger = services.GetRequiredService<ILedger>();
        var options = services.GetRequiredService<IOptions<DeployGuardOptions>>().Value;
        await mirror.SyncAsync(cancellationToken);
        var tip = await repository.ResolveCommitAsync(mirror.BranchRef, cancellationToken);
        var commit = target.StartsWith('-') ? null : await repository.ResolveCommitAsync(target, cancellationToken);
        if (commit is null || tip is null)
        {
            await error.WriteLineAsync($"deployguard: '{target}' is not a commit of the deploy repository");
            return ExitCodes.Refused;
        }

        if (!await repository.IsAncestorAsync(commit, tip, cancellationToken))
        {
            await error.WriteLineAsync($"deployguard: {CommitHash.Abbreviate(commit)} is not on {options.Repository.Branch}: the checkpoint must be a commit of the watched branch");
            return ExitCodes.Refused;
        }

        var before = (await ledger.ReadStateAsync(cancellationToken)).Checkpoint;
        await ledger.ResetAsync(commit, $"reset to {CommitHash.Abbreviate(commit)} by an operator (was {(before is null ? "unset" : CommitHash.Abbreviate(before))})", cancellationToken);
        await output.WriteLineAsync($"Checkpoint reset to {CommitHash.Abbreviate(commit)} (was {(before is null ? "unset" : CommitHash.Abbreviate(before))}). Commits after it are processed on the next pass; commits up to it never deploy.");
        return ExitCodes.Success;
    }

    private static string Stamp(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm'Z'", CultureInfo.InvariantCulture);

    private static string Short(string commit) => commit.Length >= 40 ? CommitHash.Abbreviate(commit) : commit;

    private static Dictionary<string, object?> ToJson(LedgerRecord record)
    {
        var e = record.Entry;
        return new Dictionary<string, object?>
        {
            ["deploy_id"] = e.DeployId,
            ["environment"] = e.Environment,
            ["app"] = e.App,
            ["status"] = LedgerEntry.Format(e.Status),
            ["commit"] = e.Commit,
            ["previous_commit"] = e.PreviousCommit,
            ["deploy_commit"] = record.DeployCommit,
            ["pull_request"] = e.PullRequest,
            ["approved_by"] = e.ApprovedBy,
            ["pipeline"] = e.Pipeline,
            ["run"] = e.Run,
            ["rollback"] = e.Rollback,
            ["reason"] = e.Reason,
            ["at"] = e.At.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        };
    }
}
