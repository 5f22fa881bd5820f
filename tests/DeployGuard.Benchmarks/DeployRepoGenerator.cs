using System.Globalization;
using System.Text;

namespace DeployGuard.Benchmarks;

/// <summary>The shape of a generated deploy repository; part of its cache key.</summary>
internal sealed record DeployRepoSpec(int FirstParentCommits = 10_000, int Environments = 50, int Apps = 200, int Seed = 20_240_601)
{
    public string CacheKey => string.Create(CultureInfo.InvariantCulture,
        $"deploy-repo-v{DeployRepoGenerator.FormatVersion}-c{FirstParentCommits}-e{Environments}-a{Apps}-s{Seed}");
}

/// <summary>A generated repository: a bare git directory, its first (root) commit and the tip of main.</summary>
internal sealed record GeneratedRepo(string Directory, string Root, string Tip);

/// <summary>
/// Generates a deploy repository with <c>git fast-import</c> (one process, one stream; a
/// <c>git commit</c> loop would take many minutes for 10,000 commits) and caches it in the temp
/// folder under a name derived from its parameters, so later runs and every BenchmarkDotNet child
/// process reuse it.
/// </summary>
/// <remarks>
/// History (first-parent chain of <see cref="DeployRepoSpec.FirstParentCommits"/> commits on
/// refs/heads/main):
/// <list type="bullet">
/// <item>commit 0 adds every <c>env-NN/app-NNN.deploy</c> plus <c>deployguard.yml</c> and a README;</item>
/// <item>every 10th commit is a <c>--no-ff</c> merge of a pull-request branch of 1-3 commits, each a
/// deploy of one file; the merge's first parent is the main line;</item>
/// <item>every 7th (not 10th) commit is a comment-only edit: a note added under the hash, no deploy;</item>
/// <item>every 1000th commit also edits the policy file;</item>
/// <item>the others deploy: 75% one file, 25% a rollout of one app to 2-4 environments. A deploy
/// prepends "&lt;40 hex&gt;\n* note\n" to the file, as people and pipelines do.</item>
/// </list>
/// </remarks>
internal static class DeployRepoGenerator
{
    public const int FormatVersion = 1;

    private const string Committer = "Deploy Bot <deploy-bot@example.com>";
    private const long StartTime = 1_700_000_000;

    public static string CacheRoot
    {
        get
        {
            var root = Environment.GetEnvironmentVariable("DEPLOYGUARD_BENCH_CACHE");
            return string.IsNullOrEmpty(root) ? Path.Combine(Path.GetTempPath(), "deployguard-benchmarks") : root;
        }
    }

    public static GeneratedRepo Ensure(DeployRepoSpec spec, TextWriter? log = null)
    {
        var directory = Path.Combine(CacheRoot, spec.CacheKey);
        if (!File.Exists(Path.Combine(directory, "bench-complete")))
        {
            CachedDirectory.Create(directory, staging => Generate(spec, staging, log));
        }

        var tip = Git.Run(directory, "rev-parse", "refs/heads/main").Trim();
        var root = Git.Run(directory, "rev-list", "--max-parents=0", "refs/heads/main").Trim();
        return new GeneratedRepo(directory, root, tip);
    }

    private static void Generate(DeployRepoSpec spec, string directory, TextWriter? log)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Git.Run(null, "init", "--quiet", "--bare", "--initial-branch=main", directory);
        Git.RunWithInput(directory, ["fast-import", "--quiet", "--done"], input => WriteStream(spec, input));
        log?.WriteLine($"// fast-import of {spec.CacheKey}: {watch.Elapsed.TotalSeconds:F1} s");

        // A mirror is made by clone, whose pack pack-objects writes with full delta search:
        // repack the same way so git reads the history as it would in production.
        Git.Run(directory, "repack", "-a", "-d", "-f", "--quiet");
        Git.Run(directory, "prune-packed");
        log?.WriteLine($"// generated and repacked {spec.CacheKey}: {watch.Elapsed.TotalSeconds:F1} s");
    }

    private static void WriteStream(DeployRepoSpec spec, Stream input)
    {
        var random = new Random(spec.Seed);
        var writer = new StreamWriter(input, new UTF8Encoding(false), 1 << 16) { NewLine = "\n" };
        var files = new string[spec.Environments * spec.Apps];
        var stream = new FastImportWriter(writer);

        // Commit 0: the whole layout.
        var initial = new List<(string, string)>(files.Length + 2)
        {
            ("README.md", "# Deploy repository\n\nOne file per environment and app: <env>/<app>.deploy, first line = commit to run.\n"),
            ("deployguard.yml", PolicyText(0)),
        };
        for (var i = 0; i < files.Length; i++)
        {
            files[i] = $"{Hash(random)}\n* initial deploy of {AppName(spec, i)} to {EnvName(spec, i)}\n";
            initial.Add((PathOf(spec, i), files[i]));
        }

        var main = stream.Commit("main", from: null, merge: null, "Initial layout", initial);
        var deployers = new[] { "alice", "bob", "carol", "dave", "erin", "ci-pipeline" };
        for (var n = 1; n < spec.FirstParentCommits; n++)
        {
            List<(string, string)> changes;
            string message;
            int? merge = null;
            if (n % 10 == 0)
            {
                // A pull request: 1-3 commits on a side branch forked from main, merged with --no-ff.
                var side = main;
                changes = [];
                var prCommits = random.Next(1, 4);
                for (var c = 0; c < prCommits; c++)
                {
                    var index = random.Next(files.Length);
                    files[index] = Deploy(random, files[index], deployers);
                    side = stream.Commit("pr", from: side, merge: null, $"Deploy {PathOf(spec, index)}", [(PathOf(spec, index), files[index])]);
                    changes.RemoveAll(x => x.Item1 == PathOf(spec, index));
                    changes.Add((PathOf(spec, index), files[index]));
                }

                merge = side;
                message = $"Merge pull request #{n / 10} from deploys/pr-{n / 10}";
            }
            else if (n % 7 == 0)
            {
                var index = random.Next(files.Length);
                files[index] = AddNote(random, files[index]);
                changes = [(PathOf(spec, index), files[index])];
                message = $"Note on {PathOf(spec, index)}";
            }
            else if (random.Next(4) == 0)
            {
                // Rollout: one app, one hash, several environments.
                var app = random.Next(spec.Apps);
                var hash = Hash(random);
                var count = random.Next(2, 5);
                var environments = new HashSet<int>();
                while (environments.Count < count)
                {
                    environments.Add(random.Next(spec.Environments));
                }

                changes = [];
                foreach (var env in environments)
                {
                    var index = env * spec.Apps + app;
                    files[index] = Deploy(random, files[index], deployers, hash);
                    changes.Add((PathOf(spec, index), files[index]));
                }

                message = $"Roll out app-{app:D3} to {count} environments";
            }
            else
            {
                var index = random.Next(files.Length);
                files[index] = Deploy(random, files[index], deployers);
                changes = [(PathOf(spec, index), files[index])];
                message = $"Deploy {PathOf(spec, index)}";
            }

            if (n % 1000 == 0)
            {
                changes.Add(("deployguard.yml", PolicyText(n)));
            }

            main = stream.Commit("main", from: main, merge: merge, message, changes);
        }

        writer.Write("done\n");
        writer.Flush();
    }

    private static string Deploy(Random random, string file, string[] deployers, string? hash = null) =>
        $"{hash ?? Hash(random)}\n* deployed by {deployers[random.Next(deployers.Length)]}, ticket OPS-{random.Next(1000, 99999)}\n{file}";

    private static string AddNote(Random random, string file)
    {
        var firstLine = file.IndexOf('\n', StringComparison.Ordinal) + 1;
        return string.Concat(file.AsSpan(0, firstLine), $"* note: verified by on-call, incident INC-{random.Next(100, 9999)}\n", file.AsSpan(firstLine));
    }

    private static string PolicyText(int revision) =>
        $"# policy revision {revision}\nenvironments:\n  \"env-*\":\n    approvals: 1\n";

    private static string EnvName(DeployRepoSpec spec, int index) => string.Create(CultureInfo.InvariantCulture, $"env-{index / spec.Apps:D2}");

    private static string AppName(DeployRepoSpec spec, int index) => string.Create(CultureInfo.InvariantCulture, $"app-{index % spec.Apps:D3}");

    private static string PathOf(DeployRepoSpec spec, int index) => $"{EnvName(spec, index)}/{AppName(spec, index)}.deploy";

    internal static string Hash(Random random)
    {
        Span<byte> bytes = stackalloc byte[20];
        random.NextBytes(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>Writes fast-import commands; all text is ASCII, so characters are bytes for <c>data</c> counts.</summary>
    private sealed class FastImportWriter(StreamWriter writer)
    {
        private int _mark;
        private long _time = StartTime;

        public int Commit(string branch, int? from, int? merge, string message, IEnumerable<(string Path, string Content)> files)
        {
            var mark = ++_mark;
            _time += 60;
            writer.Write($"commit refs/heads/{branch}\nmark :{mark}\ncommitter {Committer} {_time} +0000\n");
            Data(message);
            if (from is { } f)
            {
                writer.Write($"from :{f}\n");
            }

            if (merge is { } m)
            {
                writer.Write($"merge :{m}\n");
            }

            foreach (var (path, content) in files)
            {
                writer.Write($"M 100644 inline {path}\n");
                Data(content);
            }

            writer.Write('\n');
            return mark;
        }

        private void Data(string text)
        {
            writer.Write($"data {Encoding.UTF8.GetByteCount(text)}\n");
            writer.Write(text);
            writer.Write('\n');
        }
    }
}

/// <summary>Builds a cache directory in a staging folder and moves it into place, so a half-built one is never used.</summary>
internal static class CachedDirectory
{
    public static void Create(string directory, Action<string> build)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(directory)!);
        var staging = directory + ".staging-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        if (Directory.Exists(staging))
        {
            Directory.Delete(staging, recursive: true);
        }

        build(staging);
        File.WriteAllText(Path.Combine(staging, "bench-complete"), DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        try
        {
            Directory.Move(staging, directory);
        }
        catch (IOException) when (File.Exists(Path.Combine(directory, "bench-complete")))
        {
            // Another process finished the same directory first.
            Directory.Delete(staging, recursive: true);
        }
    }
}
