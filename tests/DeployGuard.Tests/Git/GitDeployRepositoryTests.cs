using System.Text;
using DeployGuard.Core.DeployFiles;
using DeployGuard.Core.Intents;
using DeployGuard.Git;
using DeployGuard.Tests.Support;

namespace DeployGuard.Tests.Git;

public sealed class GitDeployRepositoryTests : IDisposable
{
    private readonly TestRepo _repo = TestRepo.Create();
    private readonly GitDeployRepository _git;

    public GitDeployRepositoryTests()
    {
        _git = new GitDeployRepository(_repo.Path, new GitCli());
    }

    public void Dispose()
    {
        _git.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _repo.Dispose();
    }

    private string BlobOf(string commit, string path) => _repo.Git("rev-parse", $"{commit}:{path}");

    [Fact]
    public async Task ResolveCommit_UnknownRevision_IsNull()
    {
        _repo.CommitFiles("one", ("a.txt", "a"));

        (await _git.ResolveCommitAsync("no-such-branch", CancellationToken.None)).ShouldBeNull();
        (await _git.ResolveCommitAsync("main", CancellationToken.None)).ShouldBe(_repo.Head());
    }

    [Fact]
    public async Task ResolveCommit_OptionLikeRevision_IsNotTakenForAnOption()
    {
        _repo.CommitFiles("one", ("a.txt", "a"));

        (await _git.ResolveCommitAsync("--all", CancellationToken.None)).ShouldBeNull();
    }

    [Fact]
    public async Task IsAncestor_TellsAncestorsFromOtherCommits()
    {
        var first = _repo.CommitFiles("one", ("a.txt", "a"));
        var second = _repo.CommitFiles("two", ("a.txt", "b"));

        (await _git.IsAncestorAsync(first, second, CancellationToken.None)).ShouldBeTrue();
        (await _git.IsAncestorAsync(second, first, CancellationToken.None)).ShouldBeFalse();
    }

    [Fact]
    public async Task IsAncestor_UnknownCommit_Throws()
    {
        var first = _repo.CommitFiles("one", ("a.txt", "a"));

        await Should.ThrowAsync<GitCommandException>(() => _git.IsAncestorAsync(Hashes.Sha1("nowhere"), first, CancellationToken.None));
    }

    [Fact]
    public async Task ReadBlobHeads_ManyBlobs_ReturnsEachBlobsOwnContent()
    {
        var files = Enumerable.Range(0, 500).Select(i => ($"env/app{i}.deploy", $"{Hashes.Sha1($"c{i}")}\n* note {i}\n")).ToArray();
        var commit = _repo.CommitFiles("many", files);
        var blobs = files.ToDictionary(f => BlobOf(commit, f.Item1), f => f.Item2);

        var heads = await _git.ReadBlobHeadsAsync(blobs.Keys, DeployFileParser.ReadLimit, CancellationToken.None);

        heads.Count.ShouldBe(500);
        foreach (var (blob, content) in blobs)
        {
            heads[blob].IsWhole.ShouldBeTrue();
            Encoding.UTF8.GetString(heads[blob].Head.Span).ShouldBe(content);
        }
    }

    [Fact]
    public async Task ReadBlobHeads_BlobLargerThanTheLimit_ReturnsOnlyThePrefixAndTheTrueSize()
    {
        var content = Hashes.Sha1("big") + "\n" + new string('x', 200_000);
        var commit = _repo.CommitFiles("big", ("env/app.deploy", content));
        var blob = BlobOf(commit, "env/app.deploy");

        var head = (await _git.ReadBlobHeadsAsync([blob], 100, CancellationToken.None))[blob];

        head.Size.ShouldBe(content.Length);
        head.Head.Length.ShouldBe(100);
        head.IsWhole.ShouldBeFalse();
        Encoding.UTF8.GetString(head.Head.Span).ShouldBe(content[..100]);
    }

    [Fact]
    public async Task ReadBlobHeads_BlobOverTheBatchLimit_IsReadThroughAOneOffProcess_AndTheBatchStaysInStep()
    {
        var big = Hashes.Sha1("huge") + "\n" + new string('y', CatFileBatch.BatchContentLimit + 10);
        var commit = _repo.CommitFiles("huge", ("env/big.deploy", big), ("env/small.deploy", "small\n"));
        var bigBlob = BlobOf(commit, "env/big.deploy");
        var smallBlob = BlobOf(commit, "env/small.deploy");

        var heads = await _git.ReadBlobHeadsAsync([bigBlob, smallBlob], DeployFileParser.ReadLimit, CancellationToken.None);
        var again = await _git.ReadBlobHeadsAsync([smallBlob], DeployFileParser.ReadLimit, CancellationToken.None);

        heads[bigBlob].Size.ShouldBe(big.Length);
        heads[bigBlob].Head.Length.ShouldBe(DeployFileParser.ReadLimit);
        DeployFileParser.Parse(heads[bigBlob].Head.Span, heads[bigBlob].IsWhole, "env/big.deploy").Content!.Commit.ShouldBe(Hashes.Sha1("huge"));
        Encoding.UTF8.GetString(heads[smallBlob].Head.Span).ShouldBe("small\n");
        Encoding.UTF8.GetString(again[smallBlob].Head.Span).ShouldBe("small\n");
    }

    [Fact]
    public async Task ReadBlobHeads_MissingObjectsAndNonBlobs_AreAbsent()
    {
        var commit = _repo.CommitFiles("one", ("env/app.deploy", "x\n"));
        var blob = BlobOf(commit, "env/app.deploy");

        var heads = await _git.ReadBlobHeadsAsync([Hashes.Sha1("missing"), commit, blob], 64, CancellationToken.None);

        heads.Keys.ShouldBe([blob]);
    }

    [Fact]
    public async Task ReadFile_ReturnsContentAtThatCommit_OrNullWhenAbsent()
    {
        var first = _repo.CommitFiles("one", ("deployguard.yml", "version: 1\n"));
        var second = _repo.CommitFiles("two", ("deployguard.yml", "version: 1\nadmins: []\n"));

        var atFirst = await _git.ReadFileAsync(first, "deployguard.yml", 1024, CancellationToken.None);
        var atSecond = await _git.ReadFileAsync(second, "deployguard.yml", 1024, CancellationToken.None);

        Encoding.UTF8.GetString(atFirst!.Head.Span).ShouldBe("version: 1\n");
        Encoding.UTF8.GetString(atSecond!.Head.Span).ShouldBe("version: 1\nadmins: []\n");
        (await _git.ReadFileAsync(first, "nope.yml", 1024, CancellationToken.None)).ShouldBeNull();
    }

    [Fact]
    public async Task GetFirstParentChanges_PathsWithSpacesAndUnicode_ComeThroughVerbatim()
    {
        var seed = _repo.CommitFiles("seed", ("a.txt", "a"));
        _repo.CommitFiles("odd names", ("env/ä app.deploy", "x"), ("env/tab\tname.deploy", "y"));

        var commits = await _git.GetFirstParentChangesAsync(seed, _repo.Head(), null, CancellationToken.None);

        commits.ShouldHaveSingleItem().Changes.Select(c => c.Path).Order(StringComparer.Ordinal).ShouldBe(["env/tab\tname.deploy", "env/ä app.deploy"]);
    }

    [Fact]
    public async Task GetFirstParentChanges_RootCommit_IsDiffedAgainstTheEmptyTree()
    {
        var root = _repo.CommitFiles("root", ("env/app.deploy", "x"));

        var commits = await _git.GetFirstParentChangesAsync(null, root, null, CancellationToken.None);

        var commit = commits.ShouldHaveSingleItem();
        commit.Parents.ShouldBeEmpty();
        commit.Changes.ShouldHaveSingleItem().Status.ShouldBe(ChangeStatus.Added);
    }

    [Fact]
    public async Task GetFirstParentChanges_UnknownCommit_FailsWithGitsMessage()
    {
        _repo.CommitFiles("root", ("a", "a"));

        var ex = await Should.ThrowAsync<GitCommandException>(() =>
            _git.GetFirstParentChangesAsync(Hashes.Sha1("unknown"), _repo.Head(), null, CancellationToken.None));

        ex.Message.ShouldContain("git log");
        ex.Message.ShouldContain("Invalid revision range");
    }

    [Fact]
    public async Task BlobSession_RequestsAddedWhileAnswersFlow_AreAllAnswered_AndDuplicatesAskedOnce()
    {
        var files = Enumerable.Range(0, 300).Select(i => ($"env/app{i}.deploy", $"content {i}\n")).ToArray();
        var commit = _repo.CommitFiles("many", files);
        var blobs = files.Select(f => BlobOf(commit, f.Item1)).ToList();

        await using var session = await _git.OpenBlobSessionAsync(64, CancellationToken.None);
        foreach (var blob in blobs)
        {
            session.Request(blob);
            session.Request(blob);
            await Task.Yield();
        }

        var heads = await session.CompleteAsync(CancellationToken.None);

        heads.Count.ShouldBe(300);
        Encoding.UTF8.GetString(heads[blobs[299]].Head.Span).ShouldBe("content 299\n");
    }

    [Fact]
    public async Task BlobSession_AbandonedMidway_LeavesTheNextSessionInStep()
    {
        var commit = _repo.CommitFiles("two", ("env/a.deploy", "aaa\n"), ("env/b.deploy", "bbb\n"));
        var a = BlobOf(commit, "env/a.deploy");
        var b = BlobOf(commit, "env/b.deploy");

        await using (var abandoned = await _git.OpenBlobSessionAsync(64, CancellationToken.None))
        {
            abandoned.Request(a);
        }

        var heads = await _git.ReadBlobHeadsAsync([b, a], 64, CancellationToken.None);

        Encoding.UTF8.GetString(heads[a].Head.Span).ShouldBe("aaa\n");
        Encoding.UTF8.GetString(heads[b].Head.Span).ShouldBe("bbb\n");
    }

    [Fact]
    public async Task BlobSession_Cancelled_ThrowsAndTheRepositoryStaysUsable()
    {
        var commit = _repo.CommitFiles("one", ("env/a.deploy", "aaa\n"));
        var a = BlobOf(commit, "env/a.deploy");
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(() => _git.ReadBlobHeadsAsync([a], 64, cancelled.Token));

        (await _git.ReadBlobHeadsAsync([a], 64, CancellationToken.None)).Keys.ShouldBe([a]);
    }
}
