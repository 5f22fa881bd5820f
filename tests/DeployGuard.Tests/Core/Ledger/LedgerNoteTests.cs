using DeployGuard.Core.Ledger;

namespace DeployGuard.Tests.Core.Ledger;

public sealed class LedgerNoteTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 21, 10, 0, 0, TimeSpan.Zero);

    private static LedgerEntry Succeeded() => new()
    {
        Environment = "production",
        App = "app",
        DeployId = "production.app.9fceb02d0ae5",
        Commit = "60375125abec57111e2eaeac7081f8f45bdfe28b",
        PreviousCommit = "0170b60b6c2dee5034650c36dd8b708c57fe87a3",
        Status = DeployStatus.Succeeded,
        PullRequest = 42,
        ApprovedBy = ["alice", "bob"],
        Pipeline = "github-actions acme/app deploy.yml",
        Run = "https://github.com/acme/app/actions/runs/123456",
        At = At,
    };

    [Fact]
    public void Write_ProducesExactlyTheBlockOfSpecSection6()
    {
        LedgerNote.Write([Succeeded()]).ShouldBe("""
            Deploy: production/app
            Deploy-Id: production.app.9fceb02d0ae5
            Commit: 60375125abec57111e2eaeac7081f8f45bdfe28b
            Previous-Commit: 0170b60b6c2dee5034650c36dd8b708c57fe87a3
            Status: succeeded
            Pull-Request: #42
            Approved-By: alice, bob
            Pipeline: github-actions acme/app deploy.yml
            Run: https://github.com/acme/app/actions/runs/123456
            Rollback: no
            Reason:
            At: 2026-11-21T10:00:00Z

            """.Replace("\r\n", "\n", StringComparison.Ordinal));
    }

    [Fact]
    public void ReadWrite_RoundTripsSeveralBlocks()
    {
        var refused = Succeeded() with
        {
            Environment = "staging",
            DeployId = "staging.app.9fceb02d0ae5",
            Status = DeployStatus.Refused,
            ApprovedBy = [],
            Run = null,
            Rollback = true,
            Reason = "direct push without review; not on main",
        };

        var entries = LedgerNote.Read(LedgerNote.Write([Succeeded(), refused]));

        entries.Count.ShouldBe(2);
        LedgerNote.Write([entries[0]]).ShouldBe(LedgerNote.Write([Succeeded()]));
        entries[0].ApprovedBy.ShouldBe(["alice", "bob"]);
        entries[0].PullRequest.ShouldBe(42);
        entries[0].At.ShouldBe(At);
        entries[1].Status.ShouldBe(DeployStatus.Refused);
        entries[1].Rollback.ShouldBeTrue();
        entries[1].Reason.ShouldBe("direct push without review; not on main");
        entries[1].ApprovedBy.ShouldBeEmpty();
        entries[1].Run.ShouldBeNull();
    }

    [Fact]
    public void Write_ValueWithNewlines_CannotBreakTheBlockFormat()
    {
        var entry = Succeeded() with { Reason = "pipeline said:\n\nStatus: succeeded\nDeploy-Id: forged" };

        var entries = LedgerNote.Read(LedgerNote.Write([entry]));

        var read = entries.ShouldHaveSingleItem();
        read.DeployId.ShouldBe("production.app.9fceb02d0ae5");
        read.Reason.ShouldBe("pipeline said:  Status: succeeded Deploy-Id: forged");
    }

    [Fact]
    public void Upsert_ReplacesTheBlockWithTheSameDeployId_AndKeepsOthers()
    {
        var other = Succeeded() with { Environment = "staging", DeployId = "staging.app.9fceb02d0ae5" };
        var note = LedgerNote.Write([Succeeded() with { Status = DeployStatus.Pending }, other]);

        var updated = LedgerNote.Read(LedgerNote.Upsert(note, Succeeded() with { Status = DeployStatus.Triggered }));

        updated.Select(e => (e.DeployId, e.Status)).ShouldBe([
            ("staging.app.9fceb02d0ae5", DeployStatus.Succeeded),
            ("production.app.9fceb02d0ae5", DeployStatus.Triggered),
        ]);
    }

    [Fact]
    public void Read_SkipsBlocksThatAreNotDeployGuards_AndKeepsUnknownTrailers()
    {
        var note = "Reviewed-by: someone by hand\n\n" + LedgerNote.Write([Succeeded()]).Replace("At:", "Canary: 5%\nAt:", StringComparison.Ordinal) + "\nStatus: bogus\nDeploy-Id: x\n";

        var entry = LedgerNote.Read(note).ShouldHaveSingleItem();

        entry.Extra.ShouldBe([new KeyValuePair<string, string>("Canary", "5%")]);
        LedgerNote.Write([entry]).ShouldContain("Canary: 5%\n");
    }

    [Fact]
    public void Read_CrLfNote_IsReadLikeLf()
    {
        var note = LedgerNote.Write([Succeeded()]).Replace("\n", "\r\n", StringComparison.Ordinal);

        LedgerNote.Read(note).ShouldHaveSingleItem().Commit.ShouldBe("60375125abec57111e2eaeac7081f8f45bdfe28b");
    }

    [Fact]
    public void Write_TimeInAnotherOffset_IsRecordedInUtc()
    {
        var entry = Succeeded() with { At = new DateTimeOffset(2026, 11, 21, 11, 30, 0, TimeSpan.FromHours(1)) };

        LedgerNote.Write([entry]).ShouldContain("At: 2026-11-21T10:30:00Z\n");
    }
}
