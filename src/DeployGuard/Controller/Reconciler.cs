using DeployGuard.Configuration;
using DeployGuard.Core.DeployFiles;
using DeployGuard.Core.Intents;
using DeployGuard.Core.Ledger;
using DeployGuard.Core.Pipelines;
using DeployGuard.Core.Policy;
using DeployGuard.Git;
using DeployGuard.Pipelines;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DeployGuard.Controller;

/// <summary>What one pass over the deploy repository left behind.</summary>
internal sealed record PassResult
{
    /// <summary>The checkpoint is not an ancestor of the branch: nothing deploys until <c>reset --to</c>.</summary>
    public bool Diverged { get; init; }

    /// <summary>Intents that could not be decided (GitHub unreachable, another replica's claim): judged again next pass.</summary>
    public int Waiting { get; init; }

    /// <summary>Deliveries this controller is still following (a running workflow) or retrying soon.</summary>
    public int InFlight { get; init; }

    /// <summary>Intents recorded <c>deferred</c> (a freeze window): an outcome for now, acted on when the window ends.</summary>
    public int Deferred { get; init; }

    /// <summary>Pipelines triggered in this pass.</summary>
    public int Triggered { get; init; }

    /// <summary>Nothing left to do until the branch moves.</summary>
    public bool Settled => !Diverged && Waiting == 0 && InFlight == 0;
}

/// <summary>
/// One pass of the controller (SPEC §2, §4–§6): fetch → intents → checks → claim → trigger →
/// record. Each intent is handled on its own: one that fails or waits never blocks the others.
/// Exactly-once comes from the ledger: an intent is triggered only after this replica's
/// <c>pending</c> claim was accepted by the remote, and a claim found after a restart is resumed,
/// not claimed again.
/// </summary>
internal sealed partial class Reconciler(
    LocalMirror mirror,
    IntentDetector detector,
    ILedger ledger,
    IntentJudge judge,
    PolicySource policies,
    PipelineRegistry pipelines,
    TimeProvider time,
    IOptions<DeployGuardOptions> options,
    ILogger<Reconciler> logger)
{
    private readonly string _replica = options.Value.EffectiveReplicaId;

    /// <summary>The last divergence seen, for health and status; null while the history is sound.</summary>
    public Detection.Diverged? Divergence { get; private set; }

    public async Task<PassResult> RunPassAsync(CancellationToken cancellationToken)
    {
        await mirror.SyncAsync(cancellationToken);
        var state = await ledger.ReadStateAsync(cancellationToken);
        var detection = await detector.DetectAsync(mirror.BranchRef, state.Checkpoint, cancellationToken);
        Divergence = detection as Detection.Diverged;
        switch (detection)
        {
            case Detection.Baseline b:
                await ledger.RecordAsync([], b.Tip, $"baseline at {CommitHash.Abbreviate(b.Tip)}", cancellationToken);
                LogBaseline(CommitHash.Abbreviate(b.Tip));
                return new PassResult();
            case Detection.UpToDate:
                return new PassResult();
            case Detection.Diverged d:
                LogDiverged(CommitHash.Abbreviate(d.Checkpoint), CommitHash.Abbreviate(d.Tip), options.Value.Repository.Branch);
                return new PassResult { Diverged = true };
            case Detection.Pending p:
                return await ProcessAsync(p, cancellationToken);
            default:
                throw new InvalidOperationException($"unknown detection {detection}");
        }
    }

    private async Task<PassResult> ProcessAsync(Detection.Pending pending, CancellationToken cancellationToken)
    {
        var intents = pending.Set.Intents;
        foreach (var problem in pending.Set.Problems)
        {
            LogLayoutProblem(CommitHash.Abbreviate(problem.DeployCommit), problem.Error.ToString());
        }

        var existing = await ledger.ReadEntriesAsync(intents.Select(i => i.DeployCommit).Distinct(StringComparer.Ordinal).ToList(), cancellationToken);
        var pass = new Pass();
        foreach (var intent in intents)
        {
            using var scope = logger.BeginScope(new Dictionary<string, object> { ["DeployId"] = intent.DeployId, ["Environment"] = intent.Environment, ["App"] = intent.App });
            try
            {
                await HandleAsync(intent, existing.GetValueOrDefault(intent.DeployId)?.Entry, pass, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                LogIntentFailed(ex, intent.DeployId);
                pass.Unsettle(intent, waiting: true);
            }
        }

        // The checkpoint moves up to just before the oldest intent that is not settled, so a
        // waiting or running intent is seen again next pass; settled ones are skipped by their notes.
        var oldestOpen = intents.FirstOrDefault(i => pass.Open.Contains(i.DeployId));
        var checkpoint = oldestOpen is null ? pending.Tip : oldestOpen.PolicyCommit ?? pending.Checkpoint;
        await ledger.RecordAsync(pass.Records, checkpoint, Summary(pass.Records, checkpoint), cancellationToken);
        return new PassResult { Waiting = pass.Waiting, InFlight = pass.InFlight, Deferred = pass.Deferred, Triggered = pass.Triggered };
    }

    private async Task HandleAsync(DeployIntent intent, LedgerEntry? recorded, Pass pass, CancellationToken cancellationToken)
    {
        switch (recorded)
        {
            case { Status: var s } when s.IsFinal():
            case { Status: DeployStatus.Triggered, Run: null }:
                return;
            case { Status: DeployStatus.Triggered }:
                await FollowAsync(intent, recorded, pass, cancellationToken);
                return;
            case { Status: DeployStatus.Pending }:
                await ResumeClaimAsync(intent, recorded, pass, cancellationToken);
                return;
        }

        if (intent.SupersededBy is { } newer)
        {
            pass.Record(intent, Entry(intent, DeployStatus.Superseded) with { Reason = $"superseded by {newer}" });
            return;
        }

        if (intent.FileError is { } fileError)
        {
            pass.Record(intent, Entry(intent, DeployStatus.Refused) with { Reason = fileError.ToString() });
            LogRefused(intent.DeployId, fileError.ToString());
            return;
        }

        if (intent.Kind == IntentKind.Remove)
        {
            pass.Record(intent, Entry(intent, DeployStatus.Removed) with { Reason = "deploy file deleted: the app is removed from the environment; no pipeline runs" });
            LogRemoved(intent.DeployId);
            return;
        }

        if (pass.Busy(intent.Key) is { } busy)
        {
            // Deploys of one app to one environment happen in order, never side by side.
            LogWaiting(intent.DeployId, $"waiting for {busy} to finish");
            pass.Unsettle(intent, waiting: false);
            return;
        }

        var verdict = await judge.JudgeAsync(intent, cancellationToken);
        switch (verdict)
        {
            case Verdict.Waiting w:
                LogWaiting(intent.DeployId, w.Reason);
                pass.Unsettle(intent, waiting: true);
                return;
            case Verdict.Refused r:
                pass.Record(intent, Entry(intent, DeployStatus.Refused) with
                {
                    PullRequest = r.PullRequest?.Number,
                    ApprovedBy = r.ApprovedBy,
                    Reason = string.Join("; ", r.Reasons),
                });
                LogRefused(intent.DeployId, string.Join("; ", r.Reasons));
                return;
            case Verdict.Deferred d:
                pass.Park(intent);
                if (recorded is { Status: DeployStatus.Deferred } && recorded.Reason == d.Reason)
                {
                    return;
                }

                pass.Record(intent, Entry(intent, DeployStatus.Deferred) with
                {
                    PullRequest = d.PullRequest?.Number,
                    ApprovedBy = d.ApprovedBy,
                    Rollback = d.Rollback,
                    Reason = d.Reason,
                });
                LogDeferred(intent.DeployId, d.Reason);
                return;
            case Verdict.Approved a:
                await ClaimAndTriggerAsync(intent, a, pass, cancellationToken);
                return;
        }
    }

    private async Task ClaimAndTriggerAsync(DeployIntent intent, Verdict.Approved approved, Pass pass, CancellationToken cancellationToken)
    {
        var request = Request(intent, approved.App, approved.Pipeline, time.GetUtcNow(), recovering: false);
        var claim = Entry(intent, DeployStatus.Pending) with
        {
            PullRequest = approved.PullRequest?.Number,
            ApprovedBy = approved.ApprovedBy,
            Pipeline = request.Describe(),
            Rollback = approved.Rollback,
            At = request.ClaimedAt,
            Extra = Extras(approved),
        };

        if (!await ledger.TryClaimAsync(new LedgerRecord(intent.DeployCommit, claim), cancellationToken))
        {
            // Another replica claimed (or recorded) it between our read and our push: it is theirs.
            LogClaimLost(intent.DeployId);
            pass.Unsettle(intent, waiting: true);
            return;
        }

        LogClaimed(intent.DeployId, approved.Summary, request.Describe());
        if (approved.Rollback)
        {
            LogRollback(intent.DeployId, CommitHash.Abbreviate(intent.Commit!));
        }

        await TriggerAsync(intent, claim, request, pass, cancellationToken);
    }

    /// <summary>
    /// A <c>pending</c> claim found in the ledger: this replica's own from before a restart (or one
    /// whose replica has been silent past the claim timeout) is resumed with the same deploy id;
    /// another live replica's is left to it.
    /// </summary>
    private async Task ResumeClaimAsync(DeployIntent intent, LedgerEntry claim, Pass pass, CancellationToken cancellationToken)
    {
        var owner = claim.Extra.FirstOrDefault(e => e.Key == "Replica").Value;
        var abandoned = time.GetUtcNow() - claim.At > options.Value.Ledger.ClaimTimeout;
        if (owner != _replica && !abandoned)
        {
            pass.Unsettle(intent, waiting: true);
            pass.MarkBusy(intent);
            return;
        }

        if (await RecordedRequestAsync(intent, claim, recovering: true, pass, cancellationToken) is not { } request)
        {
            return;
        }

        LogResuming(intent.DeployId, owner ?? "unknown");
        var mine = owner == _replica ? claim : claim with { Extra = [.. claim.Extra.Where(e => e.Key != "Replica"), new("Replica", _replica)] };
        await TriggerAsync(intent, mine, request, pass, cancellationToken);
    }

    private async Task TriggerAsync(DeployIntent intent, LedgerEntry claim, PipelineRequest request, Pass pass, CancellationToken cancellationToken)
    {
        var outcome = await pipelines.For(request.Spec.Type).TriggerAsync(request, cancellationToken);
        if (outcome is PipelineOutcome.Waiting waiting)
        {
            LogWaiting(intent.DeployId, waiting.Reason);
            pass.Unsettle(intent, waiting: false);
            pass.MarkBusy(intent);
            return;
        }

        pass.Triggered++;
        await RecordOutcomeAsync(intent, claim, outcome, pass, cancellationToken);
    }

    private async Task FollowAsync(DeployIntent intent, LedgerEntry triggered, Pass pass, CancellationToken cancellationToken)
    {
        if (await RecordedRequestAsync(intent, triggered, recovering: false, pass, cancellationToken) is not { } request)
        {
            return;
        }

        var outcome = await pipelines.For(request.Spec.Type).FollowAsync(request, triggered.Run!, cancellationToken);
        await RecordOutcomeAsync(intent, triggered, outcome, pass, cancellationToken);
    }

    /// <summary>
    /// The delivery of an intent the ledger already holds (claimed or triggered), rebuilt from the
    /// policy at its policy commit, which cannot change. Should that policy be unreadable, the
    /// intent is recorded failed rather than silently left behind the checkpoint.
    /// </summary>
    private async Task<PipelineRequest?> RecordedRequestAsync(DeployIntent intent, LedgerEntry recorded, bool recovering, Pass pass, CancellationToken cancellationToken)
    {
        var lookup = await policies.AtAsync(intent.PolicyCommit, cancellationToken);
        if (lookup.Policy?.Apps.GetValueOrDefault(intent.App) is not { } app)
        {
            pass.Record(intent, recorded with { Status = DeployStatus.Failed, Reason = "recorded, but its app is no longer readable from the policy", At = time.GetUtcNow() });
            return null;
        }

        return Request(intent, app, app.PipelineFor(intent.Environment), recorded.At, recovering);
    }

    /// <summary>Publishes a delivery's outcome at once: the next crash must not lose it.</summary>
    private async Task RecordOutcomeAsync(DeployIntent intent, LedgerEntry previous, PipelineOutcome outcome, Pass pass, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        LedgerEntry entry;
        switch (outcome)
        {
            case PipelineOutcome.Running running:
                pass.Unsettle(intent, waiting: false);
                pass.MarkBusy(intent);
                if (previous.Status == DeployStatus.Triggered && previous.Run == running.Run)
                {
                    return;
                }

                entry = previous with { Status = DeployStatus.Triggered, Run = running.Run, At = now };
                break;
            case PipelineOutcome.Triggered t:
                entry = previous with { Status = DeployStatus.Triggered, Run = t.Run, At = now };
                if (t.Run is not null)
                {
                    pass.Unsettle(intent, waiting: false);
                    pass.MarkBusy(intent);
                }

                break;
            case PipelineOutcome.Succeeded s:
                entry = previous with { Status = DeployStatus.Succeeded, Run = s.Run ?? previous.Run, At = now };
                break;
            case PipelineOutcome.Failed f:
                entry = previous with { Status = DeployStatus.Failed, Run = f.Run ?? previous.Run, Reason = f.Reason, At = now };
                LogFailed(intent.DeployId, f.Reason);
                break;
            default:
                pass.Unsettle(intent, waiting: true);
                return;
        }

        if (entry.Status.IsFinal() || entry.Run is null)
        {
            // The claim's owner matters only while the delivery is in flight; the final block is SPEC §6's, exactly.
            entry = entry with { Extra = [.. entry.Extra.Where(e => e.Key != "Replica")] };
        }

        await ledger.RecordAsync([new LedgerRecord(intent.DeployCommit, entry)], null, $"{LedgerEntry.Format(entry.Status)} {intent.DeployId}", cancellationToken);
        LogOutcome(intent.DeployId, LedgerEntry.Format(entry.Status), entry.Run ?? "");
    }

    /// <summary>
    /// Trailers beyond SPEC §6's block: the size of the change when known (the risk rule's input),
    /// a freeze override when one was used, and the claim's owner while it is in flight.
    /// </summary>
    private List<KeyValuePair<string, string>> Extras(Verdict.Approved approved)
    {
        var extra = new List<KeyValuePair<string, string>>();
        if (approved.NewCommits is { } count)
        {
            extra.Add(new("New-Commits", count.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        if (approved.FreezeOverride)
        {
            extra.Add(new("Freeze-Override", "yes"));
        }

        extra.Add(new("Replica", _replica));
        return extra;
    }

    private static PipelineRequest Request(DeployIntent intent, AppPolicy app, PipelineSpec spec, DateTimeOffset claimedAt, bool recovering) => new()
    {
        Environment = intent.Environment,
        App = intent.App,
        Commit = intent.Commit!,
        PreviousCommit = intent.PreviousCommit,
        DeployId = intent.DeployId,
        AppRepository = app.Repository,
        Spec = spec,
        ClaimedAt = claimedAt,
        Recovering = recovering,
    };

    private LedgerEntry Entry(DeployIntent intent, DeployStatus status) => new()
    {
        Environment = intent.Environment,
        App = intent.App,
        DeployId = intent.DeployId,
        Commit = intent.Commit,
        PreviousCommit = intent.PreviousCommit,
        Status = status,
        At = time.GetUtcNow(),
    };

    private static string Summary(List<LedgerRecord> records, string checkpoint) =>
        records.Count == 0
            ? $"processed to {CommitHash.Abbreviate(checkpoint)}"
            : $"{string.Join(", ", records.Select(r => $"{LedgerEntry.Format(r.Entry.Status)} {r.Entry.DeployId}"))}; processed to {CommitHash.Abbreviate(checkpoint)}";

    /// <summary>The bookkeeping of one pass.</summary>
    private sealed class Pass
    {
        private readonly Dictionary<string, string> _busy = new(StringComparer.Ordinal);

        public List<LedgerRecord> Records { get; } = [];
        public HashSet<string> Open { get; } = new(StringComparer.Ordinal);
        public int Waiting { get; private set; }
        public int InFlight { get; private set; }
        public int Triggered { get; set; }
        public int Deferred { get; private set; }

        public void Record(DeployIntent intent, LedgerEntry entry) => Records.Add(new LedgerRecord(intent.DeployCommit, entry));

        public void Unsettle(DeployIntent intent, bool waiting)
        {
            if (Open.Add(intent.DeployId))
            {
                if (waiting)
                {
                    Waiting++;
                }
                else
                {
                    InFlight++;
                }
            }
        }

        /// <summary>Held back on purpose (a freeze): keeps the checkpoint before it, but is no reason to wait.</summary>
        public void Park(DeployIntent intent)
        {
            if (Open.Add(intent.DeployId))
            {
                Deferred++;
            }
        }

        public void MarkBusy(DeployIntent intent) => _busy[intent.Key] = intent.DeployId;

        public string? Busy(string key) => _busy.GetValueOrDefault(key);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Baseline: {Tip} recorded as processed; history is never replayed")]
    private partial void LogBaseline(string tip);

    [LoggerMessage(Level = LogLevel.Critical, Message = "DIVERGED: the last processed commit {Checkpoint} is no longer an ancestor of {Branch} at {Tip}. Nothing deploys until an operator runs 'deployguard reset --to <commit>'")]
    private partial void LogDiverged(string checkpoint, string tip, string branch);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Layout error in {DeployCommit}: {Error}")]
    private partial void LogLayoutProblem(string deployCommit, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "{DeployId} could not be processed; it is tried again next pass")]
    private partial void LogIntentFailed(Exception exception, string deployId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{DeployId} refused: {Reasons}")]
    private partial void LogRefused(string deployId, string reasons);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{DeployId} is a ROLLBACK to {Commit}, older than the deployed commit")]
    private partial void LogRollback(string deployId, string commit);

    [LoggerMessage(Level = LogLevel.Information, Message = "{DeployId} deferred: {Reason}")]
    private partial void LogDeferred(string deployId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{DeployId} removed: the deploy file was deleted")]
    private partial void LogRemoved(string deployId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{DeployId} waiting: {Reason}")]
    private partial void LogWaiting(string deployId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{DeployId} claimed by another replica first; leaving it to them")]
    private partial void LogClaimLost(string deployId);

    [LoggerMessage(Level = LogLevel.Information, Message = "{DeployId} approved ({Summary}) and claimed; triggering {Pipeline}")]
    private partial void LogClaimed(string deployId, string summary, string pipeline);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{DeployId} was claimed by {Owner} and not finished: resuming with the same deploy id")]
    private partial void LogResuming(string deployId, string owner);

    [LoggerMessage(Level = LogLevel.Error, Message = "{DeployId} failed: {Reason}")]
    private partial void LogFailed(string deployId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{DeployId} {Status} {Run}")]
    private partial void LogOutcome(string deployId, string status, string run);
}
