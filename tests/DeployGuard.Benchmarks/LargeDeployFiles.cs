using System.Globalization;
using System.Text;

namespace DeployGuard.Benchmarks;

/// <summary>Deploy files of chosen sizes, on disk and as blobs in a git repository.</summary>
internal sealed record LargeDeployFileSet(
    string Directory,
    string Repository,
    IReadOnlyDictionary<string, string> Files,
    IReadOnlyDictionary<string, string> Blobs);

/// <summary>
/// Deploy files whose first line is a valid commit hash followed by filler up to a given size:
/// 1 KiB, 2 MiB (just over the 1 MiB batch limit of CatFileBatch) and 100 MiB. They are written
/// as files, and stored in a bare repository:
/// <list type="bullet">
/// <item>"1KB", "2MB", "100MB": stored whole (not as deltas), as a pack written with
/// <c>fast-import --big-file-threshold=1m</c> (and as a fresh clone would hold a unique file);</item>
/// <item>"100MB-loose": a loose object, as a fetch of fewer than 100 objects into the mirror leaves a newly pushed file;</item>
/// <item>"100MB-delta": a second version of a 100 MiB file (a deploy prepended to it), stored by
/// fast-import as a delta against the first version, as a repacked history of an edited large file
/// would be.</item>
/// </list>
/// </summary>
internal static class LargeDeployFiles
{
    public const int FormatVersion = 2;

    public static readonly IReadOnlyDictionary<string, int> Sizes = new Dictionary<string, int>
    {
        ["1KB"] = 1024,
        ["2MB"] = 2 * 1024 * 1024,
        ["100MB"] = 100 * 1024 * 1024,
    };

    public static LargeDeployFileSet Ensure(TextWriter? log = null)
    {
        var directory = Path.Combine(DeployRepoGenerator.CacheRoot, $"large-deploy-files-v{FormatVersion}");
        if (!File.Exists(Path.Combine(directory, "bench-complete")))
        {
            CachedDirectory.Create(directory, staging => Generate(staging, log));
        }

        var repository = Path.Combine(directory, "repo.git");
        var files = Sizes.Keys.ToDictionary(k => k, k => Path.Combine(directory, $"{k}.deploy"));
        var blobs = new Dictionary<string, string>();
        foreach (var name in Sizes.Keys.Append("100MB-loose").Append("100MB-delta"))
        {
            blobs[name] = Git.Run(repository, "rev-parse", $"refs/heads/main:{name}.deploy").Trim();
        }

        return new LargeDeployFileSet(directory, repository, files, blobs);
    }

    /// <summary>The first line is a 40-hex commit hash, then a note, then deploy-log filler up to <paramref name="size"/> bytes.</summary>
    public static byte[] Content(string hash, int size)
    {
        var content = new byte[size];
        var header = Encoding.ASCII.GetBytes($"{hash}\n* deployed by ci-pipeline, ticket OPS-4242\n");
        header.CopyTo(content, 0);
        var offset = header.Length;
        var line = 0;
        while (offset < size)
        {
            var filler = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture,
                $"* 2024-06-01T12:{line / 60 % 60:D2}:{line % 60:D2}Z rollout step {line:D8}: health check passed, {line * 7919 % 100_000:D5} requests\n"));
            var take = Math.Min(filler.Length, size - offset);
            Array.Copy(filler, 0, content, offset, take);
            offset += take;
            line++;
        }

        return content;
    }

    private static void Generate(string directory, TextWriter? log)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Directory.CreateDirectory(directory);
        var random = new Random(7);
        var contents = new Dictionary<string, byte[]>();
        foreach (var (name, size) in Sizes)
        {
            contents[name] = Content(DeployRepoGenerator.Hash(random), size);
            File.WriteAllBytes(Path.Combine(directory, $"{name}.deploy"), contents[name]);
        }

        var repository = Path.Combine(directory, "repo.git");
        Git.Run(null, "init", "--quiet", "--bare", "--initial-branch=main", repository);

        // Pass 1: whole blobs in a pack. Above --big-file-threshold fast-import streams a blob into
        // the pack without looking for a delta; unpackLimit=0 keeps a small import packed.
        FastImport(repository, ["-c", "fastimport.unpackLimit=0", "fast-import", "--quiet", "--done", "--big-file-threshold=1m"],
            null, contents.Select(c => ($"{c.Key}.deploy", c.Value)));

        // Pass 2: a 100 MiB file and its next version (a deploy prepended) in a pack: below its
        // default 512 MiB threshold fast-import stores a blob as a delta against the previous one.
        var baseVersion = Content(DeployRepoGenerator.Hash(random), Sizes["100MB"]);
        var next = Encoding.ASCII.GetBytes($"{DeployRepoGenerator.Hash(random)}\n* deployed by alice, ticket OPS-4243\n").Concat(baseVersion).ToArray();
        FastImport(repository, ["-c", "fastimport.unpackLimit=0", "fast-import", "--quiet", "--done"],
            "refs/heads/main^0", [("100MB-delta.deploy", baseVersion), ("100MB-delta.deploy", next)]);

        // Pass 3: a 100 MiB loose object, as a fetch of fewer than fetch.unpackLimit (100) objects leaves it.
        FastImport(repository, ["fast-import", "--quiet", "--done"],
            "refs/heads/main^0", [("100MB-loose.deploy", Content(DeployRepoGenerator.Hash(random), Sizes["100MB"]))]);
        log?.WriteLine(Git.Run(repository, "cat-file", "--batch-all-objects",
            "--batch-check=// %(objectname) %(objecttype) %(objectsize) on disk %(objectsize:disk) delta base %(deltabase)"));
        log?.WriteLine($"// generated large deploy files: {watch.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>One commit per file version on refs/heads/main, so each version is stored right after the previous.</summary>
    private static void FastImport(string repository, string[] arguments, string? from, IEnumerable<(string Path, byte[] Content)> versions) =>
        Git.RunWithInput(repository, arguments, input =>
        {
            var time = 1_700_000_000;
            foreach (var (path, content) in versions)
            {
                time += 60;
                WriteText(input, $"commit refs/heads/main\ncommitter Deploy Bot <deploy-bot@example.com> {time} +0000\ndata {path.Length}\n{path}\n");
                if (from is not null)
                {
                    WriteText(input, $"from {from}\n");
                    from = null;
                }

                WriteText(input, $"M 100644 inline {path}\ndata {content.Length}\n");
                input.Write(content);
                WriteText(input, "\n\n");
            }

            WriteText(input, "done\n");
        });

    private static void WriteText(Stream stream, string text) => stream.Write(Encoding.ASCII.GetBytes(text));
}
