namespace DeployGuard.Core.Ledger;

/// <summary>What the shared ledger says right now: its head (a notes commit) and the checkpoint it carries.</summary>
/// <param name="Head">The notes commit at the tip of the ledger, or null before anything was recorded.</param>
/// <param name="Checkpoint">The last processed commit of the watched branch, or null before the baseline.</param>
public sealed record LedgerState(string? Head, string? Checkpoint);

/// <summary>One entry and the deploy-repository commit whose note holds it.</summary>
public sealed record LedgerRecord(string DeployCommit, LedgerEntry Entry);

/// <summary>
/// The deploy history, checkpoint and coordination point between replicas (SPEC §6). Every write
/// is a compare-and-swap on the shared ledger: it lands on top of exactly what was read, or not at all.
/// </summary>
public interface ILedger
{
    /// <summary>The ledger as last fetched (call after the mirror's sync).</summary>
    Task<LedgerState> ReadStateAsync(CancellationToken cancellationToken);

    /// <summary>The entries recorded on <paramref name="deployCommits"/>, by deploy id.</summary>
    Task<IReadOnlyDictionary<string, LedgerRecord>> ReadEntriesAsync(IReadOnlyCollection<string> deployCommits, CancellationToken cancellationToken);

    /// <summary>
    /// Claims an intent by publishing its <c>pending</c> entry, unless an entry for its deploy id is
    /// already there (other than <c>deferred</c>, which a claim replaces when the freeze is over).
    /// False means someone else recorded or claimed it first: do not trigger.
    /// </summary>
    Task<bool> TryClaimAsync(LedgerRecord claim, CancellationToken cancellationToken);

    /// <summary>
    /// Publishes outcomes and, when given, moves the checkpoint forward. A concurrent write by
    /// another replica is merged by re-reading and applying again; an entry already in a final
    /// state is never overwritten, and the checkpoint never moves backwards.
    /// </summary>
    Task RecordAsync(IReadOnlyList<LedgerRecord> records, string? checkpoint, string summary, CancellationToken cancellationToken);

    /// <summary>The operator's recovery after a divergence: the checkpoint becomes <paramref name="commit"/>, whatever it was.</summary>
    Task ResetAsync(string commit, string summary, CancellationToken cancellationToken);

    /// <summary>
    /// Every entry on the first-parent history of <paramref name="branchRef"/>, newest commit first,
    /// optionally only commits that touched <paramref name="pathspec"/>.
    /// </summary>
    IAsyncEnumerable<LedgerRecord> HistoryAsync(string branchRef, string? pathspec, CancellationToken cancellationToken);
}

public static class LedgerStatuses
{
    /// <summary>No later step changes these: the loop never overwrites them.</summary>
    public static bool IsFinal(this DeployStatus status) =>
        status is DeployStatus.Succeeded or DeployStatus.Failed or DeployStatus.Refused or DeployStatus.Superseded or DeployStatus.Removed;
}
