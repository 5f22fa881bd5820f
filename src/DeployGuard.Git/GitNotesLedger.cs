using System.Runtime.CompilerServices;
using System.Text;
using DeployGuard.Core.Ledger;

namespace DeployGuard.Git;

/// <summary>The git identity DeployGuard writes ledger notes with, so the machine needs none.</summary>
public sealed record GitIdentity(string Name, string Email)
{
    public static GitIdentity Default { get; } = new("DeployGuard", "deployguard@localhost");
}

/// <summary>
/// The ledger as git notes under <c>refs/notes/deployguard</c> on the deploy repository's remote
/// (SPEC §6; docs/decisions.md D9). Each write becomes one notes commit built on the ledger head
/// that was read, and is pushed without force: a push rejected because the remote moved is the
/// compare-and-swap that tells two replicas apart. The checkpoint travels in the same commit, as a
/// <c>DeployGuard-Checkpoint:</c> trailer of its message, so outcomes and checkpoint move together.
/// </summary>
public sealed class GitNotesLedger(GitCli git, string mirrorDirectory, string remoteUrl, GitIdentity? identity = null) : ILedger
{
    public const string NotesRef = "refs/notes/deployguard";

    /// <summary>
    /// Fetches the ledger together with the branch. A glob, because a plain refspec fails while the
    /// remote has no ledger yet; with --prune a ledger deleted on the remote is deleted here too.
    /// </summary>
    public const string FetchRefspec = "+refs/notes/deployguard*:refs/notes/deployguard*";

    public const string CheckpointTrailer = "DeployGuard-Checkpoint";

    /// <summary>Where a write is assembled before it is pushed; outside the fetched glob so --prune leaves it alone.</summary>
    private const string WorkRef = "refs/notes/work-deployguard";

    private const int MaxAttempts = 20;

    private readonly GitIdentity _identity = identity ?? GitIdentity.Default;

    /// <summary>Fetches only the ledger (after a rejected push: someone else wrote).</summary>
    public Task FetchAsync(CancellationToken cancellationToken) =>
        git.RunAsync(mirrorDirectory, ["fetch", "--prune", "--no-tags", "--quiet", "--", remoteUrl, FetchRefspec], cancellationToken);

    public async Task<LedgerState> ReadStateAsync(CancellationToken cancellationToken)
    {
        var head = await git.RunAsync(mirrorDirectory, ["rev-parse", "--verify", "--quiet", "--end-of-options", $"{NotesRef}^{{commit}}"], cancellationToken, allowedExitCodes: [1]);
        if (head.ExitCode != 0)
        {
            return new LedgerState(null, null);
        }

        var tip = head.StandardOutput.Trim();
        var checkpoint = ParseCheckpoint((await git.RunAsync(mirrorDirectory, ["log", "-1", "--format=%B", "--end-of-options", tip], cancellationToken)).StandardOutput);
        if (checkpoint is null)
        {
            // Someone added a note by hand (git notes add + push): the checkpoint is in the newest
            // commit DeployGuard wrote.
            var older = await git.RunAsync(mirrorDirectory, ["log", "-1", "--format=%B", $"--grep=^{CheckpointTrailer}: ", "--end-of-options", tip], cancellationToken);
            checkpoint = ParseCheckpoint(older.StandardOutput);
        }

        return new LedgerState(tip, checkpoint);
    }

    public async Task<IReadOnlyDictionary<string, LedgerRecord>> ReadEntriesAsync(IReadOnlyCollection<string> deployCommits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deployCommits);
        var notes = await ReadNotesAsync(deployCommits, cancellationToken);
        var entries = new Dictionary<string, LedgerRecord>(StringComparer.Ordinal);
        foreach (var (commit, note) in notes)
        {
            foreach (var entry in LedgerNote.Read(note))
            {
                entries[entry.DeployId] = new LedgerRecord(commit, entry);
            }
        }

        return entries;
    }

    public async Task<bool> TryClaimAsync(LedgerRecord claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var state = await ReadStateAsync(cancellationToken);
            var notes = await ReadNotesAsync([claim.DeployCommit], cancellationToken);
            var note = notes.GetValueOrDefault(claim.DeployCommit);
            // A deferred intent (a freeze) is claimable once the window ends; any other entry means
            // someone already decided or claimed it.
            if (note is not null && LedgerNote.Read(note).Any(e => e.DeployId == claim.Entry.DeployId && e.Status != DeployStatus.Deferred))
            {
                return false;
            }

            var written = LedgerNote.Upsert(note, claim.Entry);
            if (await TryPublishAsync(state, [(claim.DeployCommit, written)], state.Checkpoint, $"claim {claim.Entry.DeployId}", cancellationToken))
            {
                return true;
            }

            // The remote moved: maybe another replica claimed this very intent, maybe it wrote
            // something else. Re-read and decide again.
            await FetchAsync(cancellationToken);
        }

        throw new LedgerConflictException($"could not claim {claim.Entry.DeployId}: the ledger kept changing under {MaxAttempts} attempts");
    }

    public async Task RecordAsync(IReadOnlyList<LedgerRecord> records, string? checkpoint, string summary, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var state = await ReadStateAsync(cancellationToken);
            var notes = await ReadNotesAsync(records.Select(r => r.DeployCommit).Distinct(StringComparer.Ordinal).ToList(), cancellationToken);
            var changed = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var record in records)
            {
                var note = changed.GetValueOrDefault(record.DeployCommit) ?? notes.GetValueOrDefault(record.DeployCommit);
                var existing = note is null ? null : LedgerNote.Read(note).FirstOrDefault(e => e.DeployId == record.Entry.DeployId);
                if (existing is not null && (existing.Status.IsFinal() || existing == record.Entry))
                {
                    continue;
                }

                changed[record.DeployCommit] = LedgerNote.Upsert(note, record.Entry);
            }

            var newCheckpoint = await ForwardAsync(state.Checkpoint, checkpoint, cancellationToken);
            if (changed.Count == 0 && newCheckpoint == state.Checkpoint)
            {
                return;
            }

            if (await TryPublishAsync(state, changed.Select(c => (c.Key, c.Value)).ToList(), newCheckpoint, summary, cancellationToken))
            {
                return;
            }

            await FetchAsync(cancellationToken);
        }

        throw new LedgerConflictException($"could not record '{summary}': the ledger kept changing under {MaxAttempts} attempts");
    }

    public async Task ResetAsync(string commit, string summary, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(commit);
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var state = await ReadStateAsync(cancellationToken);
            if (await TryPublishAsync(state, [], commit, summary, cancellationToken))
            {
                return;
            }

            await FetchAsync(cancellationToken);
        }

        throw new LedgerConflictException($"could not reset the checkpoint: the ledger kept changing under {MaxAttempts} attempts");
    }

    public async IAsyncEnumerable<LedgerRecord> HistoryAsync(string branchRef, string? pathspec, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if ((await ReadStateAsync(cancellationToken)).Head is null)
        {
            yield break;
        }

        List<string> args = ["log", "--first-parent", $"--notes={NotesRef}", "--format=%H%x00%N%x1e", "--end-of-options", branchRef, "--"];
        if (pathspec is not null)
        {
            args.Add(pathspec);
        }

        await using var process = git.StartStreaming(mirrorDirectory, args);
        var reader = new GitOutputReader(process.Output);
        while (await reader.ReadTokenAsync(0x1e, cancellationToken) is { } record)
        {
            var (commit, note) = Split(record);
            if (note.Length == 0)
            {
                continue;
            }

            foreach (var entry in LedgerNote.Read(note))
            {
                yield return new LedgerRecord(commit, entry);
            }
        }

        await process.WaitForSuccessAsync(cancellationToken);
    }

    /// <summary>The raw notes on <paramref name="commits"/> (absent when a commit has none), in one git process.</summary>
    private async Task<Dictionary<string, string>> ReadNotesAsync(IReadOnlyCollection<string> commits, CancellationToken cancellationToken)
    {
        var notes = new Dictionary<string, string>(StringComparer.Ordinal);
        if (commits.Count == 0)
        {
            return notes;
        }

        // --stdin: any number of commits without hitting the argument-length limit.
        var result = await git.RunAsync(
            mirrorDirectory,
            ["log", "--no-walk=unsorted", $"--notes={NotesRef}", "--format=%H%x00%N%x1e", "--stdin"],
            cancellationToken,
            standardInput: string.Join('\n', commits) + "\n");
        foreach (var record in result.StandardOutput.Split('\x1e'))
        {
            var (commit, note) = Split(record);
            if (commit.Length > 0 && note.Length > 0)
            {
                notes[commit] = note;
            }
        }

        return notes;
    }

    private static (string Commit, string Note) Split(string record)
    {
        var nul = record.IndexOf('\0', StringComparison.Ordinal);
        return nul < 0 ? (record.Trim(), "") : (record[..nul].Trim(), record[(nul + 1)..].Trim('\n'));
    }

    /// <summary>The checkpoint to publish: never behind what another replica already published.</summary>
    private async Task<string?> ForwardAsync(string? current, string? proposed, CancellationToken cancellationToken)
    {
        if (proposed is null || proposed == current)
        {
            return current;
        }

        if (current is null)
        {
            return proposed;
        }

        var result = await git.RunAsync(mirrorDirectory, ["merge-base", "--is-ancestor", "--end-of-options", current, proposed], cancellationToken, allowedExitCodes: [1]);
        return result.ExitCode == 0 ? proposed : current;
    }

    /// <summary>
    /// Builds one notes commit on top of <paramref name="state"/>'s head with <paramref name="notes"/>
    /// written, and pushes it without force. True when the remote took it; false when the remote
    /// had moved (another writer): nothing of this write is then published.
    /// </summary>
    private async Task<bool> TryPublishAsync(LedgerState state, List<(string Commit, string Note)> notes, string? checkpoint, string summary, CancellationToken cancellationToken)
    {
        if (state.Head is null)
        {
            await git.RunAsync(mirrorDirectory, ["update-ref", "-d", WorkRef], cancellationToken);
        }
        else
        {
            await git.RunAsync(mirrorDirectory, ["update-ref", "--no-deref", WorkRef, state.Head], cancellationToken);
        }

        foreach (var (commit, note) in notes)
        {
            await git.RunAsync(mirrorDirectory, [.. Identity(), "notes", $"--ref={WorkRef}", "add", "--force", "--file=-", "--end-of-options", commit], cancellationToken, standardInput: note);
        }

        string tree;
        if (notes.Count > 0)
        {
            tree = (await git.RunAsync(mirrorDirectory, ["rev-parse", "--verify", $"{WorkRef}^{{tree}}"], cancellationToken)).StandardOutput.Trim();
        }
        else if (state.Head is not null)
        {
            tree = (await git.RunAsync(mirrorDirectory, ["rev-parse", "--verify", $"{state.Head}^{{tree}}"], cancellationToken)).StandardOutput.Trim();
        }
        else
        {
            tree = (await git.RunAsync(mirrorDirectory, ["mktree"], cancellationToken, standardInput: "")).StandardOutput.Trim();
        }

        var message = new StringBuilder().Append("deployguard: ").Append(summary.ReplaceLineEndings(" ")).Append("\n\n");
        if (checkpoint is not null)
        {
            message.Append(CheckpointTrailer).Append(": ").Append(checkpoint).Append('\n');
        }

        List<string> commitTree = [.. Identity(), "commit-tree", tree];
        if (state.Head is not null)
        {
            commitTree.AddRange(["-p", state.Head]);
        }

        commitTree.Add("-F");
        commitTree.Add("-");
        var created = (await git.RunAsync(mirrorDirectory, commitTree, cancellationToken, standardInput: message.ToString())).StandardOutput.Trim();

        // No force: the push lands only if the remote ledger is still what this write was built on
        // (or an ancestor of it). A rejection is the other replica's claim, not an error.
        var push = await git.RunAsync(mirrorDirectory, ["push", "--porcelain", "--quiet", "--no-verify", "--", remoteUrl, $"{created}:{NotesRef}"], cancellationToken, allowedExitCodes: [1]);
        if (push.ExitCode != 0)
        {
            if (IsLostRace(push))
            {
                return false;
            }

            throw new GitCommandException($"git push of the ledger to {GitCli.Redact(remoteUrl)} failed: {GitCli.Redact(push.StandardError.Trim())}", push.ExitCode);
        }

        await git.RunAsync(mirrorDirectory, ["update-ref", "--no-deref", NotesRef, created], cancellationToken);
        return true;
    }

    /// <summary>
    /// The remote moved under this write: rejected as a non-fast-forward, or (when two pushes
    /// arrive together) refused by the remote because the ref was no longer at the old value.
    /// Any other rejection (a hook, a protected ref, no permission) is an error to report.
    /// </summary>
    private static bool IsLostRace(GitResult push)
    {
        var line = push.StandardOutput.Split('\n').FirstOrDefault(l => l.StartsWith('!') && l.Contains(NotesRef, StringComparison.Ordinal));
        if (line is null)
        {
            return false;
        }

        return line.Contains("[rejected]", StringComparison.Ordinal) ||
               (line.Contains("[remote rejected]", StringComparison.Ordinal) &&
                (line.Contains("failed to update ref", StringComparison.Ordinal) || push.StandardError.Contains("cannot lock ref", StringComparison.Ordinal)));
    }

    private string[] Identity() => ["-c", $"user.name={_identity.Name}", "-c", $"user.email={_identity.Email}"];

    private static string? ParseCheckpoint(string message)
    {
        foreach (var line in message.Split('\n'))
        {
            if (line.StartsWith(CheckpointTrailer + ":", StringComparison.Ordinal))
            {
                var value = line[(CheckpointTrailer.Length + 1)..].Trim();
                return value.Length > 0 ? value : null;
            }
        }

        return null;
    }
}

/// <summary>The ledger could not be written because other writers kept moving it; the loop tries again later.</summary>
public sealed class LedgerConflictException : Exception
{
    public LedgerConflictException()
    {
    }

    public LedgerConflictException(string message) : base(message)
    {
    }

    public LedgerConflictException(string message, Exception inner) : base(message, inner)
    {
    }
}
