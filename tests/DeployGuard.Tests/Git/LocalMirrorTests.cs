using DeployGuard.Git;
using DeployGuard.Tests.Support;

namespace DeployGuard.Tests.Git;

public sealed class LocalMirrorTests
{
    [Fact]
    public async Task Sync_ClonesThenFetchesNewCommitsOfTheWatchedBranchOnly()
    {
        using var remote = TestRepo.Create();
        using var work = new TempDirectory();
        var git = new GitCli();
        var first = remote.CommitFiles("one", ("staging/app.deploy", Hashes.DeployFile(Hashes.Sha1("1"))));
        remote.Checkout("other", create: true);
        var other = remote.CommitFiles("elsewhere", ("x", "x"));
        remote.Checkout("main");
        var mirror = new LocalMirror(git, remote.Path, "main", work.Combine("mirror.git"));

        await mirror.SyncAsync(CancellationToken.None);
        await using var repository = new GitDeployRepository(mirror.Directory, git);
        (await repository.ResolveCommitAsync(mirror.BranchRef, CancellationToken.None)).ShouldBe(first);

        var second = remote.CommitFiles("two", ("staging/app.deploy", Hashes.DeployFile(Hashes.Sha1("2"))));
        await mirror.SyncAsync(CancellationToken.None);

        (await repository.ResolveCommitAsync(mirror.BranchRef, CancellationToken.None)).ShouldBe(second);
        TestRepo.RunGit(mirror.Directory, 0, "for-each-ref", "--format=%(refname)").ShouldBe("refs/heads/main", "only the watched branch is fetched");
        _ = other;
    }

    [Fact]
    public async Task Sync_ForcePushOnTheRemote_IsMirroredSoDivergenceCanBeSeen()
    {
        using var remote = TestRepo.Create();
        using var work = new TempDirectory();
        var git = new GitCli();
        var first = remote.CommitFiles("one", ("a", "1"));
        remote.CommitFiles("two", ("a", "2"));
        var mirror = new LocalMirror(git, remote.Path, "main", work.Combine("mirror.git"));
        await mirror.SyncAsync(CancellationToken.None);

        remote.Git("reset", "--hard", "--quiet", first);
        var rewritten = remote.CommitFiles("two again", ("a", "3"));
        await mirror.SyncAsync(CancellationToken.None);

        await using var repository = new GitDeployRepository(mirror.Directory, git);
        (await repository.ResolveCommitAsync(mirror.BranchRef, CancellationToken.None)).ShouldBe(rewritten);
    }

    [Fact]
    public async Task Sync_UnknownBranch_FailsWithAClearMessage_AndLeavesNoHalfClone()
    {
        using var remote = TestRepo.Create();
        using var work = new TempDirectory();
        remote.CommitFiles("one", ("a", "1"));
        var mirror = new LocalMirror(new GitCli(), remote.Path, "release", work.Combine("mirror.git"));

        var ex = await Should.ThrowAsync<GitCommandException>(() => mirror.SyncAsync(CancellationToken.None));

        ex.Message.ShouldContain("release");
        Directory.Exists(mirror.Directory).ShouldBeFalse();
        Directory.GetDirectories(work.Path).ShouldBeEmpty();
    }
}
