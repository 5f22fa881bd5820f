using DeployGuard.Core.DeployFiles;
using DeployGuard.Core.Intents;
using DeployGuard.Git;
using DeployGuard.Tests.Support;

namespace DeployGuard.Tests.Core.Intents;

/// <summary>Intent detection over real git repositories (SPEC §2).</summary>
public sealed class IntentDetectorTests : IDisposable
{
    private static readonly string A1 = Hashes.Sha1("app-1");
    private static readonly string A2 = Hashes.Sha1("app-2");
    private static readonly string A3 = Hashes.Sha1("app-3");
    private static readonly string B1 = Hashes.Sha1("billing-1");

    private readonly TestRepo _repo = TestRepo.Create();
    private readonly GitDeployRepository _git;

    public IntentDetectorTests()
    {
        _git = new GitDeployRepository(_repo.Path, new GitCli());
    }

    public void Dispose()
    {
        _git.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _repo.Dispose();
    }

    private string Seed() => _repo.CommitFiles("seed",
        ("deployguard.yml", "version: 1\n"),
        ("staging/app.deploy", Hashes.DeployFile(A1, "first")),
        ("production/app.deploy", Hashes.DeployFile(A1, "first")));

    private async Task<Detection.Pending> PendingSinceAsync(string checkpoint, string root = ".")
    {
        var detection = await new IntentDetector(_git, new DeployLayout(root)).DetectAsync("refs/heads/main", checkpoint, CancellationToken.None);
        return detection.ShouldBeOfType<Detection.Pending>();
    }

    [Fact]
    public async Task Detect_NoCheckpoint_RecordsBaselineAndDeploysNothing()
    {
        Seed();
        var tip = _repo.CommitFiles("deploy", ("staging/app.deploy", Hashes.DeployFile(A2) + Hashes.DeployFile(A1)));

        var detection = await new IntentDetector(_git, new DeployLayout()).DetectAsync("refs/heads/main", null, CancellationToken.None);

        detection.ShouldBe(new Detection.Baseline(tip));
    }

    [Fact]
    public async Task Detect_CheckpointAtTip_IsUpToDate()
    {
        var tip = Seed();

        var detection = await new IntentDetector(_git, new DeployLayout()).DetectAsync("refs/heads/main", tip, CancellationToken.None);

        detection.ShouldBe(new Detection.UpToDate(tip));
    }

    [Fact]
    public async Task Detect_DirectCommit_GivesOneIntentWithPreviousCommitAndStableId()
    {
        var seed = Seed();
        var deploy = _repo.CommitFiles("deploy A2", ("staging/app.deploy", Hashes.DeployFile(A2, "new") + Hashes.DeployFile(A1, "first")));

        var pending = await PendingSinceAsync(seed);

        var intent = pending.Set.Intents.ShouldHaveSingleItem();
        intent.Environment.ShouldBe("staging");
        intent.App.ShouldBe("app");
        intent.Kind.ShouldBe(IntentKind.Deploy);
        intent.Commit.ShouldBe(A2);
        intent.PreviousCommit.ShouldBe(A1);
        intent.DeployCommit.ShouldBe(deploy);
        intent.PolicyCommit.ShouldBe(seed);
        intent.DeployId.ShouldBe($"staging.app.{deploy[..12]}");
        pending.CommitCount.ShouldBe(1);
    }

    [Fact]
    public async Task Detect_MergeCommit_IsOneIntentOnTheMergeNotOnTheBranchCommits()
    {
        var seed = Seed();
        _repo.Checkout("pr-1", create: true);
        _repo.CommitFiles("wip", ("production/app.deploy", Hashes.DeployFile(A3) + Hashes.DeployFile(A1)));
        _repo.CommitFiles("fix", ("production/app.deploy", Hashes.DeployFile(A2) + Hashes.DeployFile(A1)));
        _repo.Checkout("main");
        var merge = _repo.MergeNoFf("pr-1");

        var pending = await PendingSinceAsync(seed);

        var intent = pending.Set.Intents.ShouldHaveSingleItem();
        intent.DeployCommit.ShouldBe(merge);
        intent.Commit.ShouldBe(A2);
        intent.PreviousCommit.ShouldBe(A1);
        intent.PolicyCommit.ShouldBe(seed, "the policy at the merge's first parent judges it");
    }

    [Fact]
    public async Task Detect_SquashMerge_IsOneIntent()
    {
        var seed = Seed();
        _repo.Checkout("pr-2", create: true);
        _repo.CommitFiles("one", ("staging/app.deploy", Hashes.DeployFile(A3) + Hashes.DeployFile(A1)));
        _repo.CommitFiles("two", ("staging/app.deploy", Hashes.DeployFile(A2) + Hashes.DeployFile(A1)));
        _repo.Checkout("main");
        var squash = _repo.SquashMerge("pr-2");

        var pending = await PendingSinceAsync(seed);

        var intent = pending.Set.Intents.ShouldHaveSingleItem();
        intent.DeployCommit.ShouldBe(squash);
        intent.Commit.ShouldBe(A2);
    }

    [Fact]
    public async Task Detect_SeveralDeployFilesInOneCommit_GivesOneIntentEach()
    {
        var seed = Seed();
        var commit = _repo.CommitFiles("multi",
            ("staging/app.deploy", Hashes.DeployFile(A2) + Hashes.DeployFile(A1)),
            ("production/app.deploy", Hashes.DeployFile(A2) + Hashes.DeployFile(A1)),
            ("staging/billing.deploy", Hashes.DeployFile(B1)));

        var pending = await PendingSinceAsync(seed);

        pending.Set.Intents.Select(i => i.Key).Order().ShouldBe(["production/app", "staging/app", "staging/billing"]);
        pending.Set.Intents.ShouldAllBe(i => i.DeployCommit == commit && i.SupersededBy == null);
        pending.Set.Intents.Single(i => i.App == "billing").PreviousCommit.ShouldBeNull();
    }

    [Fact]
    public async Task Detect_Deletion_IsARemoveIntentCarryingThePreviousCommit()
    {
        var seed = Seed();
        _repo.Delete("staging/app.deploy");
        _repo.Commit("remove app from staging");

        var pending = await PendingSinceAsync(seed);

        var intent = pending.Set.Intents.ShouldHaveSingleItem();
        intent.Kind.ShouldBe(IntentKind.Remove);
        intent.Commit.ShouldBeNull();
        intent.PreviousCommit.ShouldBe(A1);
    }

    [Fact]
    public async Task Detect_Rename_IsADeleteAndAnAdd()
    {
        var seed = Seed();
        _repo.Git("mv", "staging/app.deploy", "staging/web.deploy");
        _repo.Commit("rename app to web");

        var pending = await PendingSinceAsync(seed);

        pending.Set.Intents.Count.ShouldBe(2);
        pending.Set.Intents.Single(i => i.App == "app").Kind.ShouldBe(IntentKind.Remove);
        var added = pending.Set.Intents.Single(i => i.App == "web");
        added.Kind.ShouldBe(IntentKind.Deploy);
        added.Commit.ShouldBe(A1);
        added.PreviousCommit.ShouldBeNull();
    }

    [Fact]
    public async Task Detect_CommentOnlyEdit_IsNotADeploy()
    {
        var seed = Seed();
        _repo.CommitFiles("typo in notes", ("staging/app.deploy", $"{A1}\n* first, with a corrected note\n"));

        var pending = await PendingSinceAsync(seed);

        pending.Set.Intents.ShouldBeEmpty();
        pending.CommitCount.ShouldBe(1);
    }

    [Fact]
    public async Task Detect_CaseOnlyChangeOfTheHash_IsNotADeploy()
    {
        var seed = Seed();
        _repo.CommitFiles("uppercase", ("staging/app.deploy", Hashes.DeployFile(A1.ToUpperInvariant(), "first")));

        var pending = await PendingSinceAsync(seed);

        pending.Set.Intents.ShouldBeEmpty();
    }

    [Fact]
    public async Task Detect_InvalidFile_IsAnIntentCarryingTheFileError_AndALaterFixSupersedesIt()
    {
        var seed = Seed();
        var broken = _repo.CommitFiles("short hash", ("staging/app.deploy", "abc1234\n" + Hashes.DeployFile(A1)));
        var fixedCommit = _repo.CommitFiles("fix", ("staging/app.deploy", Hashes.DeployFile(A2) + Hashes.DeployFile(A1)));

        var pending = await PendingSinceAsync(seed);

        var invalid = pending.Set.Intents.Single(i => i.DeployCommit == broken);
        invalid.FileError.ShouldNotBeNull().Code.ShouldBe(DeployFileErrorCode.ShortHash);
        invalid.FileError.Path.ShouldBe("staging/app.deploy");
        invalid.Commit.ShouldBeNull();
        invalid.SupersededBy.ShouldBe($"staging.app.{fixedCommit[..12]}");
        var active = pending.Set.Active.ShouldHaveSingleItem();
        active.Commit.ShouldBe(A2);
        active.PreviousCommit.ShouldBeNull("the file at the fix's parent held no valid hash");
    }

    [Fact]
    public async Task Detect_ThreeMergesToOneApp_NewestWinsAndOlderAreSuperseded()
    {
        var seed = Seed();
        var first = _repo.CommitFiles("d1", ("production/app.deploy", Hashes.DeployFile(A2) + Hashes.DeployFile(A1)));
        _repo.CommitFiles("other app", ("staging/billing.deploy", Hashes.DeployFile(B1)));
        var second = _repo.CommitFiles("d2", ("production/app.deploy", Hashes.DeployFile(A3) + Hashes.DeployFile(A2) + Hashes.DeployFile(A1)));
        var third = _repo.CommitFiles("d3", ("production/app.deploy", Hashes.DeployFile(A1) + Hashes.DeployFile(A3) + Hashes.DeployFile(A2) + Hashes.DeployFile(A1)));

        var pending = await PendingSinceAsync(seed);

        var newest = $"production.app.{third[..12]}";
        pending.Set.Intents.Count.ShouldBe(4);
        pending.Set.Superseded.Select(i => i.DeployCommit).ShouldBe([first, second]);
        pending.Set.Superseded.ShouldAllBe(i => i.SupersededBy == newest);
        pending.Set.Active.Select(i => i.DeployId).Order().ShouldBe([newest, $"staging.billing.{pending.Set.Intents[1].DeployCommit[..12]}"]);
        pending.Set.Intents[0].DeployCommit.ShouldBe(first, "intents come oldest first");
    }

    [Fact]
    public async Task Detect_ForcePushedHistory_IsDivergedAndListsNothing()
    {
        var seed = Seed();
        var processed = _repo.CommitFiles("d1", ("staging/app.deploy", Hashes.DeployFile(A2) + Hashes.DeployFile(A1)));
        _repo.Git("reset", "--hard", "--quiet", seed);
        var rewritten = _repo.CommitFiles("d1 again", ("staging/app.deploy", Hashes.DeployFile(A3) + Hashes.DeployFile(A1)));

        var detection = await new IntentDetector(_git, new DeployLayout()).DetectAsync("refs/heads/main", processed, CancellationToken.None);

        detection.ShouldBe(new Detection.Diverged(processed, rewritten));
    }

    [Fact]
    public async Task Detect_LayoutErrors_AreReportedAsProblemsNotIntents()
    {
        var seed = Seed();
        var commit = _repo.CommitFiles("bad layout",
            ("app.deploy", Hashes.DeployFile(A2)),
            ("production/eu/app.deploy", Hashes.DeployFile(A2)),
            ("Production/app.deploy", Hashes.DeployFile(A2)),
            ("README.md", "not a deploy file"));

        var pending = await PendingSinceAsync(seed);

        pending.Set.Intents.ShouldBeEmpty();
        pending.Set.Problems.Select(p => p.Error.Code).Order().ShouldBe(
            [DeployFileErrorCode.LayoutDepth, DeployFileErrorCode.LayoutDepth, DeployFileErrorCode.InvalidEnvironmentName]);
        pending.Set.Problems.ShouldAllBe(p => p.DeployCommit == commit);
    }

    [Fact]
    public async Task Detect_SymlinkDeployFile_IsRefusedWithAFileError()
    {
        var seed = Seed();
        File.CreateSymbolicLink(_repo.FullPath("staging/billing.deploy"), "../production/app.deploy");
        _repo.Commit("link billing to production's file");

        var pending = await PendingSinceAsync(seed);

        var intent = pending.Set.Intents.ShouldHaveSingleItem();
        intent.FileError.ShouldNotBeNull().Code.ShouldBe(DeployFileErrorCode.NotARegularFile);
        intent.Commit.ShouldBeNull();
    }

    [Fact]
    public async Task Detect_WithConfiguredRoot_IgnoresFilesOutsideIt()
    {
        var seed = _repo.CommitFiles("seed", ("deploy/deployguard.yml", "version: 1\n"), ("deploy/staging/app.deploy", Hashes.DeployFile(A1)));
        _repo.CommitFiles("both", ("deploy/staging/app.deploy", Hashes.DeployFile(A2) + Hashes.DeployFile(A1)), ("elsewhere/staging/app.deploy", Hashes.DeployFile(A3)));

        var pending = await PendingSinceAsync(seed, root: "deploy");

        var intent = pending.Set.Intents.ShouldHaveSingleItem();
        intent.Path.ShouldBe("deploy/staging/app.deploy");
        intent.Commit.ShouldBe(A2);
    }

    [Fact]
    public async Task Detect_CommitChangingPolicyAndDeployFile_FlagsThePolicyChange()
    {
        var seed = Seed();
        _repo.CommitFiles("loosen and deploy", ("deployguard.yml", "version: 1\n# changed\n"), ("staging/app.deploy", Hashes.DeployFile(A2) + Hashes.DeployFile(A1)));

        var pending = await PendingSinceAsync(seed);

        pending.Set.Intents.ShouldHaveSingleItem().ChangesPolicy.ShouldBeTrue();
    }

    [Fact]
    public async Task Detect_Sha256Repository_WorksWith64HexIds()
    {
        using var repo = TestRepo.Create(objectFormat: "sha256");
        await using var git = new GitDeployRepository(repo.Path, new GitCli());
        var app = Hashes.Sha256("app");
        var seed = repo.CommitFiles("seed", ("staging/app.deploy", Hashes.DeployFile(Hashes.Sha256("old"))));
        var deploy = repo.CommitFiles("deploy", ("staging/app.deploy", Hashes.DeployFile(app) + Hashes.DeployFile(Hashes.Sha256("old"))));
        deploy.Length.ShouldBe(64);

        var detection = await new IntentDetector(git, new DeployLayout()).DetectAsync("refs/heads/main", seed, CancellationToken.None);

        var intent = detection.ShouldBeOfType<Detection.Pending>().Set.Intents.ShouldHaveSingleItem();
        intent.Commit.ShouldBe(app);
        intent.PreviousCommit.ShouldBe(Hashes.Sha256("old"));
        intent.DeployId.ShouldBe($"staging.app.{deploy[..12]}");
    }

    [Fact]
    public async Task Detect_IdenticalContentAtTwoPaths_NamesEachPathInItsError()
    {
        var seed = Seed();
        _repo.CommitFiles("same bad content twice", ("staging/app.deploy", "main\n"), ("production/app.deploy", "main\n"));

        var pending = await PendingSinceAsync(seed);

        pending.Set.Intents.Select(i => i.FileError!.Path).Order().ShouldBe(["production/app.deploy", "staging/app.deploy"]);
    }
}
