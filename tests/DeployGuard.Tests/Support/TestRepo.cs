using System.Diagnostics;
using System.Text;

namespace DeployGuard.Tests.Support;

/// <summary>
/// A real git repository in a temporary folder, with its own identity so commits work on
/// machines that have none configured (CI). Commit dates advance one minute per commit so that
/// ordering never depends on how fast the test runs.
/// </summary>
public sealed class TestRepo : IDisposable
{
    private readonly TempDirectory _dir;
    private int _clock;

    private TestRepo(TempDirectory dir, string path)
    {
        _dir = dir;
        Path = path;
    }

    public string Path { get; }

    /// <summary>Creates a repository; <paramref name="objectFormat"/> is "sha1" or "sha256".</summary>
    public static TestRepo Create(string branch = "main", string objectFormat = "sha1", bool bare = false)
    {
        var dir = new TempDirectory("dg-repo");
        var path = dir.Combine(bare ? "repo.git" : "repo");
        Directory.CreateDirectory(path);
        var repo = new TestRepo(dir, path);
        List<string> args = ["init", "--quiet", $"--object-format={objectFormat}", "-b", branch];
        if (bare)
        {
            args.Add("--bare");
        }

        repo.Git([.. args]);
        return repo;
    }

    /// <summary>Runs git in the repository and returns its trimmed standard output; throws on failure.</summary>
    public string Git(params string[] args) => RunGit(Path, _clock, args);

    public static string RunGit(string? directory, int clock, params string[] args)
    {
        var info = new ProcessStartInfo("git")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        if (directory is not null)
        {
            info.ArgumentList.Add("-C");
            info.ArgumentList.Add(directory);
        }

        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var date = DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture).AddMinutes(clock).ToString("o");
        info.Environment["GIT_AUTHOR_NAME"] = "Test Author";
        info.Environment["GIT_AUTHOR_EMAIL"] = "author@example.com";
        info.Environment["GIT_COMMITTER_NAME"] = "Test Committer";
        info.Environment["GIT_COMMITTER_EMAIL"] = "committer@example.com";
        info.Environment["GIT_AUTHOR_DATE"] = date;
        info.Environment["GIT_COMMITTER_DATE"] = date;
        info.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        info.Environment["HOME"] = System.IO.Path.GetTempPath();
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', args)} failed ({process.ExitCode}): {stderr}");
        }

        return stdout.Result.TrimEnd('\n', '\r');
    }

    public string FullPath(string relative) => System.IO.Path.Combine(Path, relative.Replace('/', System.IO.Path.DirectorySeparatorChar));

    public TestRepo Write(string relative, string content) => WriteBytes(relative, Encoding.UTF8.GetBytes(content));

    public TestRepo WriteBytes(string relative, byte[] content)
    {
        var full = FullPath(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, content);
        return this;
    }

    public TestRepo Delete(string relative)
    {
        File.Delete(FullPath(relative));
        return this;
    }

    /// <summary>Stages everything and commits; returns the new commit's full hash.</summary>
    public string Commit(string message = "change")
    {
        _clock++;
        Git("add", "-A");
        Git("commit", "--quiet", "--allow-empty", "--no-verify", "-m", message);
        return Head();
    }

    /// <summary>Writes the files and commits them.</summary>
    public string CommitFiles(string message, params (string Path, string Content)[] files)
    {
        foreach (var (path, content) in files)
        {
            Write(path, content);
        }

        return Commit(message);
    }

    public string Head(string rev = "HEAD") => Git("rev-parse", rev);

    public string Checkout(string branch, bool create = false)
    {
        return create ? Git("checkout", "--quiet", "-b", branch) : Git("checkout", "--quiet", branch);
    }

    /// <summary>Merges <paramref name="branch"/> into the current branch with a merge commit (GitHub's "Create a merge commit").</summary>
    public string MergeNoFf(string branch, string message = "Merge pull request")
    {
        _clock++;
        Git("merge", "--quiet", "--no-ff", "--no-edit", "-m", message, branch);
        return Head();
    }

    /// <summary>Squash-merges <paramref name="branch"/> into the current branch (GitHub's "Squash and merge").</summary>
    public string SquashMerge(string branch, string message = "Squash pull request")
    {
        _clock++;
        Git("merge", "--quiet", "--squash", branch);
        Git("commit", "--quiet", "-m", message);
        return Head();
    }

    public void Dispose() => _dir.Dispose();
}
