using DeployGuard.Core.Ledger;
using DeployGuard.Git;
using DeployGuard.Tests.Support;

namespace DeployGuard.Tests.Git;

/// <summary>
/// The ledger over real git: a bare "remote" deploy repository and one mirror per replica, as the
/// controller runs it. Every claim and record is a push that the remote either takes or rejects.
/// </summary>
public sealed class GitNotesLedgerTests : IDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-11-21T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
    private readonly TestRepo _remote = TestRepo.Create();
    private readonly TempDirectory _work = new();
    private readonly GitCli _git = new();
    private readonly CancellationToken _ct = CancellationToken.None;

    public void Dispose()
    {
        _remote.Dispose();
        _work.Dispose();
    }

    [Fact]
    public async Task NewRepository_HasNoLedger_NoCheckpoint()
    {
        _remote.CommitFiles("seed", ("staging/app.deploy", Hashes.DeployFile(Hashes.Sha1("1"))));
        var (_, ledger) = await ReplicaAsync("a");

        (await ledger.ReadStateAsync(_ct)).ShouldBe(new LedgerState(null, null));
        (await ledger.ReadEntriesAsync([_remote.Head()], _ct)).ShouldBeEmpty();
        (await ToListAsync(ledger.HistoryAsync("refs/heads/main", null, _ct))).ShouldBeEmpty();
    }

    [Fact]
    public async Task Reset_PublishesTheCheckpoint_ThatAnotherReplicaReads()
    {
        var seed = _remote.CommitFiles("seed", ("staging/app.deploy", Hashes.DeployFile(Hashes.Sha1("1"))));
        var (_, a) = await ReplicaAsync("a");
        await a.ResetAsync(seed, "baseline", _ct);

        var (_, b) = await ReplicaAsync("b");

        (await b.ReadStateAsync(_ct)).Checkpoint.ShouldBe(seed);
        _remote.Git("log", "-1", "--format=%an <%ae>%n%B", GitNotesLedger.NotesRef).ShouldBe($"DeployGuard <deployguard@localhost>\ndeployguard: baseline\n\nDeployGuard-Checkpoint: {seed}");
    }

    [Fact]
    public async Task Claim_WritesThePendingBlock_ReadableWithPlainGitLog()
    {
        var seed = _remote.CommitFiles("seed", ("staging/app.deploy", Hashes.DeployFile(Hashes.Sha1("1"))));
        var deploy = _remote.CommitFiles("deploy", ("staging/app.deploy", Hashes.DeployFile(Hashes.Sha1("2"))));
        var (_, ledger) = await ReplicaAsync("a");
        await ledger.ResetAsync(seed, "baseline", _ct);

        (await ledger.TryClaimAsync(Record(deploy, DeployStatus.Pending), _ct)).ShouldBeTrue();

        var log = _remote.Git("log", "--first-parent", "--notes=deployguard", "--format=%H%n%N", "--", "staging/app.deploy");
        log.ShouldContain($"{deploy}\nDeploy: staging/app\nDeploy-Id: staging.app.{deploy[..12]}\nCommit: {Hashes.Sha1("2")}\n");
        log.ShouldContain("Status: pending\n");
        (await ledger.ReadStateAsync(_ct)).Checkpoint.ShouldBe(seed, "a claim carries the checkpoint forward unchanged");
    }

    [Fact]
    public async Task SecondClaim_OfTheSameIntent_FromAStaleReplica_IsRefused()
    {
        var seed = _remote.CommitFiles("seed", ("staging/app.deploy", Hashes.DeployFile(Hashes.Sha1("1"))));
        var deploy = _remote.CommitFiles("deploy", ("staging/app.deploy", Hashes.DeployFile(Hashes.Sha1("2"))));
        var (_, a) = await ReplicaAsync("a");
        await a.ResetAsync(seed, "baseline", _ct);
        var (_, b) = await ReplicaAsync("b");

        (await a.TryClaimAsync(Record(deploy, DeployStatus.Pending), _ct)).ShouldBeTrue();
        // b has not fetched since a's claim: its push is rejected, it re-reads and sees the claim.
        (await b.TryClaimAsync(Record(deploy, DeployStatus.Pending, "b"), _ct)).ShouldBeFalse();

        var entries = await b.ReadEntriesAsync([deploy], _ct);
        entries[$"staging.app.{deploy[..12]}"].Entry.Extra.ShouldContain(new KeyValuePair<string, string>("Replica", "a"));
    }

    [Fact]
    public async Task ClaimsRacingFromTwoReplicas_EachIntentIsWonExactlyOnce()
    {
        var seed = _remote.CommitFiles("seed", ("staging/app.deploy", Hashes.DeployFile(Hashes.Sha1("1"))));
        var commits = Enumerable.Range(0, 6).Select(i => _remote.CommitFiles($"deploy {i}", ($"staging/app{i}.deploy", Hashes.DeployFile(Hashes.Sha1($"{i}"))))).ToList();
        var (_, a) = await ReplicaAsync("a");
        await a.ResetAsync(seed, "baseline", _ct);
        var (_, b) = await ReplicaAsync("b");

        async Task<List<string>> ClaimAll(GitNotesLedger ledger, string replica)
        {
            var won = new List<string>();
            for (var i = 0; i < commits.Count; i++)
            {
                if (await ledger.TryClaimAsync(Record(commits[i], DeployStatus.Pending, replica, app: $"app{i}"), _ct))
                {
                    won.Add($"app{i}");
                }
            }

            return won;
        }

        var results = await Task.WhenAll(Task.Run(() => ClaimAll(a, "a")), Task.Run(() => ClaimAll(b, "b")));

        results[0].Concat(results[1]).OrderBy(x => x, StringComparer.Ordinal).ShouldBe(Enumerable.Range(0, 6).Select(i => $"app{i}"));
        results[0].Intersect(results[1]).ShouldBeEmpty();
        await a.FetchAsync(_ct);
        (await a.ReadEntriesAsync(commits, _ct)).Count.ShouldBe(6);
    }

    [Fact]
    public async Task Record_ReplacesThePendingClaim_ButNeverAFinalOutcome()
    {
        var seed = _remote.CommitFiles("seed", ("staging/app.deploy", Hashes.DeployFile(Hashes.Sha1("1"))));
        var deploy = _remote.CommitFiles("deploy", ("staging/app.deploy", Hashes.DeployFile(Hashes.Sha1("2"))));
        var (_, ledger) = await ReplicaAsync("a");
        await ledger.ResetAsync(seed, "baseline", _ct);
        await ledger.TryClaimAsync(Record(deploy, DeployStatus.Pending), _ct);

        await ledger.RecordAsync([Record(deploy, DeployStatus.Succeeded)], deploy, "succeeded", _ct);
        await ledger.RecordAsync([Record(deploy, DeployStatus.Failed)], null, "late duplicate", _ct);

        var entry = (await ledger.ReadEntriesAsync([deploy], _ct)).Values.Single().Entry;
        entry.Status.ShouldBe(DeployStatus.Succeeded);
        (await ledger.ReadStateAsync(_ct)).Checkpoint.ShouldBe(deploy);
    }

    [Fact]
    public async Task Claim_ReplacesADeferredEntry_ButNotAFinalOne()
    {
        var seed = _remote.CommitFiles("seed", ("staging/app.deploy", Hashes.DeployFile(Hashes.Sha1("1"))));
        var deploy = _remote.CommitFiles("deploy", ("staging/app.deploy", Hashes.DeployFile(Hashes.Sha1("2"))));
        var (_, ledger) = await ReplicaAsync("a");
        await ledger.ResetAsync(seed, "baseline", _ct);
        await ledger.RecordAsync([Record(deploy, DeployStatus.Deferred)], null, "frozen", _ct);

        (await ledger.TryClaimAsync(Record(deploy, DeployStatus.Pending), _ct)).ShouldBeTrue("the freeze is over: the deferred intent is claimed");
        (await ledger.TryClaimAsync(Record(deploy, DeployStatus.Pending, "b"), _ct)).ShouldBeFalse("a pending claim is not claimed twice");
        (await ledger.ReadEntriesAsync([deploy], _ct)).Values.Single().Entry.Status.ShouldBe(DeployStatus.Pending);
    }

    [Fact]
    public async Task Record_KeepsOtherBlocksOfTheSameCommit()
    {
        var seed = _remote.CommitFiles("seed", ("staging/app.deploy", Hashes.DeployFile(Hashes.Sha1("1"))));
        var both = _remote.CommitFiles("two apps", ("staging/app.deploy", Hashes.DeployFile(Hashes.Sha1("2"))), ("staging/web.deploy", Hashes.DeployFile(Hashes.Sha1("3"))));
        var (_, ledger) = await ReplicaAsync("a");
        await ledger.ResetAsync(seed, "baseline", _ct);

        await ledger.RecordAsync([Record(both, DeployStatus.Refused)], null, "one", _ct);
        await ledger.RecordAsync([Record(both, DeployStatus.Removed, app: "web")], both, "two", _ct);

        var entries = await ledger.ReadEntriesAsync([both], _ct);
        entries.Values.Select(r => r.Entry.Status).ShouldBe([DeployStatus.Refused, DeployStatus.Removed], ignoreOrder: true);
        _remote.Git("notes", "--ref=deployguard", "show", both).Split("\n\n").Length.ShouldBe(2, "one block per intent, separated by a blank line");
    }

    [Fact]
    public async Task Checkpoint_NeverMovesBackwards_WhenAnotherReplicaGotFurther()
    {
        var seed = _remote.CommitFiles("seed", ("staging/app.deploy", Hashes.DeployFile(Hashes.Sha1("1"))));
        var one = _remote.CommitFiles("one", ("staging/app.deploy", Hashes.DeployFile(Hashes.Sha1("2"))));
        var two = _remote.CommitFiles("two", ("staging/app.deploy", Hashes.DeployFile(Hashes.Sha1("3"))));
        var (_, a) = await ReplicaAsync("a");
        await a.ResetAsync(seed, "baseline", _ct);
        var (_, b) = await ReplicaAsync("b");

        await a.RecordAsync([], two, "a got to two", _ct);
        await b.RecordAsync([Record(one, DeployStatus.Superseded)], one, "b only to one", _ct);

        (await b.ReadStateAsync(_ct)).Checkpoint.ShouldBe(two);
        (await b.ReadEntriesAsync([one], _ct)).Values.Single().Entry.Status.ShouldBe(DeployStatus.Superseded, "b's outcome is merged, not lost");
    }

    [Fact]
    public async Task History_IsNewestFirst_AndFiltersByPath()
    {
        var seed = _remote.CommitFiles("seed", ("staging/app.deploy", Hashes.DeployFile(Hashes.Sha1("1"))));
        var first = _remote.CommitFiles("app", ("staging/app.deploy", Hashes.DeployFile(Hashes.Sha1("2"))));
        var second = _remote.CommitFiles("web", ("staging/web.deploy", Hashes.DeployFile(Hashes.Sha1("3"))));
        var third = _remote.CommitFiles("app again", ("staging/app.deploy", Hashes.DeployFile(Hashes.Sha1("4"))));
        var (mirror, ledger) = await ReplicaAsync("a");
        await ledger.ResetAsync(seed, "baseline", _ct);
        await ledger.RecordAsync([Record(first, DeployStatus.Superseded), Record(second, DeployStatus.Succeeded, app: "web"), Record(third, DeployStatus.Succeeded)], third, "all", _ct);

        var all = await ToListAsync(ledger.HistoryAsync(mirror.BranchRef, null, _ct));
        var app = await ToListAsync(ledger.HistoryAsync(mirror.BranchRef, "staging/app.deploy", _ct));

        all.Select(r => r.DeployCommit).ShouldBe([third, second, first]);
        app.Select(r => r.DeployCommit).ShouldBe([third, first]);
    }

    [Fact]
    public async Task Publishing_ToAnUnreachableRemote_FailsWithoutLeakingCredentials()
    {
        var seed = _remote.CommitFiles("seed", ("staging/app.deploy", Hashes.DeployFile(Hashes.Sha1("1"))));
        var (mirror, _) = await ReplicaAsync("a");
        var offline = new GitNotesLedger(_git, mirror.Directory, "https://x-access-token:ghs_LEDGERSECRET@127.0.0.1:9/deploy.git");

        var ex = await Should.ThrowAsync<GitCommandException>(() => offline.ResetAsync(seed, "baseline", _ct));

        ex.Message.ShouldNotContain("ghs_LEDGERSECRET");
        (await offline.ReadStateAsync(_ct)).Head.ShouldBeNull("a write the remote did not take is not in the local ledger either");
    }

    private async Task<(LocalMirror Mirror, GitNotesLedger Ledger)> ReplicaAsync(string name)
    {
        var mirror = new LocalMirror(_git, _remote.Path, "main", _work.Combine(name, "mirror.git"));
        await mirror.SyncAsync(_ct);
        return (mirror, new GitNotesLedger(_git, mirror.Directory, _remote.Path));
    }

    private static LedgerRecord Record(string deployCommit, DeployStatus status, string replica = "a", string app = "app") =>
        new(deployCommit, new LedgerEntry
        {
            Environment = "staging",
            App = app,
            DeployId = $"staging.{app}.{deployCommit[..12]}",
            Commit = app == "app" ? Hashes.Sha1("2") : Hashes.Sha1(app),
            Status = status,
            At = Now,
            Extra = [new("Replica", replica)],
        });

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }
}
