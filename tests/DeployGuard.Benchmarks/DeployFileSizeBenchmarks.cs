using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using DeployGuard.Core.DeployFiles;
using DeployGuard.Core.Intents;
using DeployGuard.Git;

namespace DeployGuard.Benchmarks;

/// <summary>
/// Does reading a deploy file cost the same whatever its size? The parser reads at most
/// <see cref="DeployFileParser.ReadLimit"/> bytes; the git path reads blobs up to 1 MiB through the
/// long-lived batch process and larger ones through a one-off <c>git cat-file blob</c> killed after
/// the prefix. Ratios are within each category (file system, git), against the 1 KB file.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class DeployFileSizeBenchmarks
{
    private LargeDeployFileSet _set = null!;
    private GitDeployRepository _repository = null!;

    [GlobalSetup]
    public void Setup()
    {
        _set = LargeDeployFiles.Ensure(Console.Out);
        _repository = new GitDeployRepository(_set.Repository, new GitCli());

        // Every variant must parse to a valid commit, and the large ones from a prefix only.
        foreach (var (name, path) in _set.Files)
        {
            var result = ReadFile(path).AsTask().GetAwaiter().GetResult();
            if (!result.IsValid)
            {
                throw new InvalidOperationException($"{name}: {result.Error}");
            }
        }

        foreach (var (name, blob) in _set.Blobs)
        {
            var head = ReadBlob(blob).GetAwaiter().GetResult();
            var parsed = DeployFileParser.Parse(head.Head.Span, head.IsWhole, name);
            if (!parsed.IsValid || head.Head.Length > DeployFileParser.ReadLimit)
            {
                throw new InvalidOperationException($"{name}: {parsed.Error}, {head.Head.Length} of {head.Size} bytes read");
            }

            Console.WriteLine($"// blob {name}: {head.Size:N0} bytes, {head.Head.Length} read, whole={head.IsWhole}");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _repository.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true), BenchmarkCategory("FileStream")]
    public ValueTask<DeployFileParseResult> File_1KB() => ReadFile(_set.Files["1KB"]);

    [Benchmark, BenchmarkCategory("FileStream")]
    public ValueTask<DeployFileParseResult> File_100MB() => ReadFile(_set.Files["100MB"]);

    [Benchmark(Baseline = true), BenchmarkCategory("GitBlob")]
    public Task<BlobHead> Blob_1KB() => ReadBlob(_set.Blobs["1KB"]);

    [Benchmark, BenchmarkCategory("GitBlob")]
    public Task<BlobHead> Blob_2MB() => ReadBlob(_set.Blobs["2MB"]);

    [Benchmark, BenchmarkCategory("GitBlob")]
    public Task<BlobHead> Blob_100MB() => ReadBlob(_set.Blobs["100MB"]);

    [Benchmark, BenchmarkCategory("GitBlob")]
    public Task<BlobHead> Blob_100MB_Loose() => ReadBlob(_set.Blobs["100MB-loose"]);

    [Benchmark, BenchmarkCategory("GitBlob")]
    public Task<BlobHead> Blob_100MB_Deltified() => ReadBlob(_set.Blobs["100MB-delta"]);

    private static async ValueTask<DeployFileParseResult> ReadFile(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 4096, useAsync: true);
        return await DeployFileParser.ReadAsync(stream, path);
    }

    private async Task<BlobHead> ReadBlob(string blob)
    {
        var heads = await _repository.ReadBlobHeadsAsync([blob], DeployFileParser.ReadLimit, CancellationToken.None);
        return heads[blob];
    }
}
