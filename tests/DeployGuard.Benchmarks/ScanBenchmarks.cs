using BenchmarkDotNet.Attributes;
using DeployGuard.Core.DeployFiles;
using DeployGuard.Core.Intents;
using DeployGuard.Git;

namespace DeployGuard.Benchmarks;

/// <summary>
/// Intent detection over a generated 10,000-commit deploy repository (50 environments x 200 apps),
/// from the root commit to the tip, against git itself listing the same history. All in one class,
/// so the ratio is measured in one run under the same machine conditions.
/// </summary>
[MemoryDiagnoser]
public class ScanBenchmarks
{
    private readonly byte[] _drainBuffer = new byte[64 * 1024];
    private GeneratedRepo _repo = null!;
    private byte[] _blobList = null!;
    private string[] _gitLogArguments = null!;
    private GitCli _git = null!;
    private GitDeployRepository _warm = null!;
    private DeployLayout _layout = null!;

    [GlobalSetup]
    public void Setup()
    {
        _repo = DeployRepoGenerator.Ensure(new DeployRepoSpec(), Console.Out);
        _gitLogArguments = GitLogArguments(_repo);
        _git = new GitCli();
        _layout = new DeployLayout(".");
        _warm = new GitDeployRepository(_repo.Directory, _git);

        // The benchmark must measure real work: a pending range with thousands of intents.
        var detection = Scan(_warm).GetAwaiter().GetResult();
        if (detection is not Detection.Pending { Set.Intents.Count: > 0 } pending)
        {
            throw new InvalidOperationException($"expected pending intents, got {detection}");
        }

        // The blobs the scan reads, as input for the "git alone" floor of the whole job.
        var commits = _warm.GetFirstParentChangesAsync(_repo.Root, _repo.Tip, _layout.Pathspec, CancellationToken.None).GetAwaiter().GetResult();
        _blobList = System.Text.Encoding.ASCII.GetBytes(string.Concat(IntentBuilder.BlobsNeeded(commits, _layout).Select(b => b + "\n")));

        var bytes = Git.DrainAsync(_repo.Directory, _gitLogArguments, _drainBuffer).GetAwaiter().GetResult();
        Console.WriteLine($"// scan: {pending.CommitCount} commits, {pending.Set.Intents.Count} intents " +
                          $"({pending.Set.Active.Count()} active), {pending.Set.Problems.Count} problems; git log prints {bytes:N0} bytes");
    }

    [GlobalCleanup]
    public void Cleanup() => _warm.DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>The floor: git listing the same first-parent history with raw diffs, output drained.</summary>
    [Benchmark(Baseline = true, Description = "git log (floor)")]
    public Task<long> GitLog() => Git.DrainAsync(_repo.Directory, _gitLogArguments, _drainBuffer);

    /// <summary>Everything git does for a scan, one after the other: git log, then git cat-file --batch of every needed blob.</summary>
    [Benchmark(Description = "git log + git cat-file --batch")]
    public async Task<long> GitLogThenCatFile() =>
        await Git.DrainAsync(_repo.Directory, _gitLogArguments, _drainBuffer) +
        await Git.DrainWithInputAsync(_repo.Directory, ["cat-file", "--batch"], _blobList, _drainBuffer);

    /// <summary>The detect stage as the controller runs it: the repository (and its cat-file process) lives across loops.</summary>
    [Benchmark(Description = "DetectAsync, warm repository")]
    public Task<Detection> DetectWarm() => Scan(_warm);

    /// <summary>The first loop after a start: a new repository object, so a new cat-file process.</summary>
    [Benchmark(Description = "DetectAsync, cold repository")]
    public async Task<Detection> DetectCold()
    {
        await using var repository = new GitDeployRepository(_repo.Directory, _git);
        return await Scan(repository);
    }

    /// <summary>Only the history listing of the scan (git log + parsing), to see how the scan's time splits.</summary>
    [Benchmark(Description = "GetFirstParentChangesAsync only")]
    public Task<IReadOnlyList<CommitChanges>> ListChanges() =>
        _warm.GetFirstParentChangesAsync(_repo.Root, _repo.Tip, _layout.Pathspec, CancellationToken.None);

    private Task<Detection> Scan(GitDeployRepository repository) =>
        new IntentDetector(repository, _layout).DetectAsync("refs/heads/main", checkpoint: _repo.Root, CancellationToken.None);

    internal static string[] GitLogArguments(GeneratedRepo repo) =>
    [
        "log", "-z", "--first-parent", "--diff-merges=first-parent", "--raw", "--no-renames", "--no-abbrev", "--root",
        "--format=%H %P", $"{repo.Root}..{repo.Tip}",
    ];
}
