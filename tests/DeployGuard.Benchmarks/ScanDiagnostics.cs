using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using DeployGuard.Core.DeployFiles;
using DeployGuard.Core.Intents;
using DeployGuard.Git;

namespace DeployGuard.Benchmarks;

/// <summary>
/// A small diagnostic mode beside BenchmarkDotNet: where the scan's time goes (each phase timed
/// with a Stopwatch, medians of several rounds) and the peak memory of a scan, measured in a fresh
/// process so nothing else (BenchmarkDotNet, the generator) inflates it.
/// </summary>
internal static partial class ScanDiagnostics
{
    public static async Task<int> RunAsync(int rounds)
    {
        var repo = DeployRepoGenerator.Ensure(new DeployRepoSpec(), Console.Out);
        Console.WriteLine($"repository: {repo.Directory}");
        Console.WriteLine($"range: {repo.Root}..{repo.Tip}");
        Console.WriteLine();

        Console.WriteLine("## Peak memory (fresh process per measurement)");
        foreach (var mode in new[] { "baseline", "gitlog", "scan" })
        {
            Console.WriteLine(RunSelf("--peak-scan", mode).TrimEnd());
        }

        Console.WriteLine();
        await PhasesAsync(repo, rounds);
        return 0;
    }

    private static async Task PhasesAsync(GeneratedRepo repo, int rounds)
    {
        var git = new GitCli();
        var layout = new DeployLayout(".");
        await using var warm = new GitDeployRepository(repo.Directory, git);
        var logArguments = ScanBenchmarks.GitLogArguments(repo);
        var buffer = new byte[64 * 1024];
        var ct = CancellationToken.None;

        // Inputs for the isolated phases, computed once.
        var capturedLog = Git.Capture(repo.Directory, [.. logArguments.Take(logArguments.Length - 1), "--no-textconv", logArguments[^1], "--"]);
        var commits = await warm.GetFirstParentChangesAsync(repo.Root, repo.Tip, layout.Pathspec, ct);
        var needed = IntentBuilder.BlobsNeeded(commits, layout);
        var heads = await warm.ReadBlobHeadsAsync(needed, DeployFileParser.ReadLimit, ct);
        var batchInput = Encoding.ASCII.GetBytes(string.Concat(needed.Select(b => b + "\n")));
        Console.WriteLine($"{commits.Count} commits, {commits.Sum(c => c.Changes.Count)} changes, {needed.Count} blobs needed " +
                          $"({heads.Values.Sum(h => (long)h.Size):N0} bytes), git log output {capturedLog.Length:N0} bytes");

        var timings = new List<(string Name, List<double> Ms, List<long> Allocated)>();
        async Task Time(string name, Func<Task> action)
        {
            var entry = timings.FirstOrDefault(t => t.Name == name);
            if (entry.Name is null)
            {
                entry = (name, [], []);
                timings.Add(entry);
            }

            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var watch = Stopwatch.StartNew();
            await action();
            entry.Ms.Add(watch.Elapsed.TotalMilliseconds);
            entry.Allocated.Add(GC.GetTotalAllocatedBytes(precise: true) - allocated);
        }

        for (var round = 0; round <= rounds; round++)
        {
            // Round 0 warms up (JIT, page cache) and is not reported.
            if (round == 1)
            {
                timings.Clear();
            }

            await Time("git log (floor)", () => Git.DrainAsync(repo.Directory, logArguments, buffer));
            await Time("git cat-file --batch of the needed blobs (floor)", () => Git.DrainWithInputAsync(repo.Directory, ["cat-file", "--batch"], batchInput, buffer));
            await Time("git log piped into git cat-file --batch as it streams (floor of an overlapped design)", () => PipelinedFloorAsync(repo.Directory, logArguments));
            await Time("DetectAsync, warm repository (total)", () => new IntentDetector(warm, layout).DetectAsync("refs/heads/main", repo.Root, ct));
            await Time("DetectAsync, cold repository (total)", async () =>
            {
                await using var cold = new GitDeployRepository(repo.Directory, git);
                await new IntentDetector(cold, layout).DetectAsync("refs/heads/main", repo.Root, ct);
            });
            await Time("  1. ResolveCommitAsync (git rev-parse)", () => warm.ResolveCommitAsync("refs/heads/main", ct));
            await Time("  2. IsAncestorAsync (git merge-base)", () => warm.IsAncestorAsync(repo.Root, repo.Tip, ct));
            await Time("  3. GetFirstParentChangesAsync (git log + parse)", () => warm.GetFirstParentChangesAsync(repo.Root, repo.Tip, layout.Pathspec, ct));
            await Time("     3a. ParseLogAsync alone, over the captured output", async () =>
            {
                var list = new List<CommitChanges>();
                await GitDeployRepository.ParseLogAsync(new GitOutputReader(new MemoryStream(capturedLog)), list, ct);
            });
            await Time("  4. IntentBuilder.BlobsNeeded", () => Task.FromResult(IntentBuilder.BlobsNeeded(commits, layout)));
            await Time("  5. ReadBlobHeadsAsync, warm cat-file", () => warm.ReadBlobHeadsAsync(needed, DeployFileParser.ReadLimit, ct));
            await Time("     5'. ReadBlobHeadsAsync, new cat-file", async () =>
            {
                await using var cold = new GitDeployRepository(repo.Directory, git);
                await cold.ReadBlobHeadsAsync(needed, DeployFileParser.ReadLimit, ct);
            });
            await Time("  6. IntentBuilder.Build", () => Task.FromResult(IntentBuilder.Build(commits, heads, layout)));
        }

        var floor = Median(timings[0].Ms);
        Console.WriteLine();
        Console.WriteLine($"## Phases: median of {rounds} rounds after one warm-up round (ms; ratio to git log)");
        Console.WriteLine();
        Console.WriteLine("| Phase | Median ms | Min ms | Max ms | / git log | Managed alloc MiB |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (var (name, ms, allocated) in timings)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {new string('\u00a0', name.Length - name.TrimStart().Length)}{name.TrimStart()} | {Median(ms):F1} | {ms.Min():F1} | {ms.Max():F1} | {Median(ms) / floor:F2} | {allocated.Min() / 1048576.0:F1} |"));
        }
    }

    /// <summary>
    /// What an overlapped scan could cost: the blob ids of each raw diff line are sent to a
    /// running <c>git cat-file --batch</c> while git log is still printing, both drained.
    /// </summary>
    private static async Task PipelinedFloorAsync(string directory, string[] logArguments)
    {
        using var log = Process.Start(Git.Info(directory, logArguments, redirectError: false))!;
        using var cat = Process.Start(Git.Info(directory, ["cat-file", "--batch"], redirectInput: true, redirectError: false))!;
        var draining = Task.Run(async () =>
        {
            var buffer = new byte[64 * 1024];
            while (await cat.StandardOutput.BaseStream.ReadAsync(buffer) > 0)
            {
            }
        });
        var input = cat.StandardInput.BaseStream;
        var reader = new GitOutputReader(log.StandardOutput.BaseStream);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new StringBuilder();
        while (await reader.ReadTokenAsync(0, CancellationToken.None) is { } token)
        {
            var text = token.TrimStart('\n');
            if (text.Length == 0 || text[0] != ':')
            {
                continue;
            }

            await reader.ReadTokenAsync(0, CancellationToken.None); // the path
            var fields = text.Split(' ');
            foreach (var blob in fields.AsSpan(2, 2))
            {
                if (!blob.All(c => c == '0') && seen.Add(blob))
                {
                    pending.Append(blob).Append('\n');
                }
            }

            if (pending.Length > 16 * 1024)
            {
                await input.WriteAsync(Encoding.ASCII.GetBytes(pending.ToString()));
                await input.FlushAsync();
                pending.Clear();
            }
        }

        await input.WriteAsync(Encoding.ASCII.GetBytes(pending.ToString()));
        cat.StandardInput.Close();
        await draining;
        await Task.WhenAll(log.WaitForExitAsync(), cat.WaitForExitAsync());
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>Runs in a fresh process: one scan (or git log alone), then reports peak memory of this process and of git.</summary>
    public static async Task<int> PeakScanAsync(string mode)
    {
        var repo = DeployRepoGenerator.Ensure(new DeployRepoSpec());
        var before = PeakRss(self: true);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        string what;
        if (mode == "scan")
        {
            await using var repository = new GitDeployRepository(repo.Directory, new GitCli());
            var detection = await new IntentDetector(repository, new DeployLayout(".")).DetectAsync("refs/heads/main", repo.Root, CancellationToken.None);
            var pending = (Detection.Pending)detection;
            what = $"one DetectAsync ({pending.CommitCount} commits, {pending.Set.Intents.Count} intents)";
            GC.KeepAlive(pending);
        }
        else if (mode == "gitlog")
        {
            await Git.DrainAsync(repo.Directory, ScanBenchmarks.GitLogArguments(repo), new byte[64 * 1024]);
            what = "git log alone, drained";
        }
        else
        {
            what = "nothing (runtime + setup only)";
        }

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var after = PeakRss(self: true);
        var children = PeakRss(self: false);
        using var current = Process.GetCurrentProcess();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"- {what}: peak RSS of the .NET process {after / 1048576.0:F1} MiB (before: {before / 1048576.0:F1} MiB; " +
            $"Process.PeakWorkingSet64 {current.PeakWorkingSet64 / 1048576.0:F1} MiB), managed allocations {allocated / 1048576.0:F1} MiB, " +
            $"largest git child process peak RSS {children / 1048576.0:F1} MiB"));
        return 0;
    }

    private static string RunSelf(params string[] arguments)
    {
        var executable = Environment.ProcessPath!;
        var info = new ProcessStartInfo(executable) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(executable) == "dotnet")
        {
            info.ArgumentList.Add(typeof(ScanDiagnostics).Assembly.Location);
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return output;
    }

    /// <summary>Peak resident set size in bytes (getrusage ru_maxrss), of this process or of its largest reaped child.</summary>
    private static long PeakRss(bool self)
    {
        if (!OperatingSystem.IsLinux())
        {
            return -1;
        }

        return GetRUsage(self ? 0 : -1, out var usage) == 0 ? usage.MaxRssKiB * 1024 : -1;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UserSeconds;
        public long UserMicroseconds;
        public long SystemSeconds;
        public long SystemMicroseconds;
        public long MaxRssKiB;
        public long Ixrss;
        public long Idrss;
        public long Isrss;
        public long MinFlt;
        public long MajFlt;
        public long NSwap;
        public long InBlock;
        public long OuBlock;
        public long MsgSnd;
        public long MsgRcv;
        public long NSignals;
        public long NVcsw;
        public long NIvcsw;
    }

    [LibraryImport("libc", EntryPoint = "getrusage")]
    private static partial int GetRUsage(int who, out RUsage usage);
}
