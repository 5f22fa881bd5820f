using System.Collections.Concurrent;
using System.Globalization;
using DeployGuard.Git;

namespace DeployGuard.Sandbox;

/// <summary>A person and time line of a git commit.</summary>
internal sealed record GitSignature(string Name, string Email, DateTimeOffset Date);

/// <summary>What the emulator shows of a git commit.</summary>
internal sealed record GitCommitInfo(string Sha, string Tree, IReadOnlyList<string> Parents, GitSignature Author, GitSignature Committer, string Message);

/// <summary>
/// The git questions the emulator asks of a repository on disk, through <see cref="GitCli"/>.
/// Revisions always follow <c>--end-of-options</c>, so a client-supplied ref is never an option.
/// Commit details are cached by object id: commits are immutable, refs are not (never cached).
/// </summary>
internal sealed class EmulatorGit(GitCli git)
{
    // Unit separator between fields, NUL (-z) between commits: neither occurs in names or emails,
    // and the message, which may hold anything else, comes last.
    private const string Format = "--format=%H%x1f%T%x1f%P%x1f%an%x1f%ae%x1f%aI%x1f%cn%x1f%ce%x1f%cI%x1f%B";

    private readonly ConcurrentDictionary<(string Directory, string Sha), GitCommitInfo> _commits = new();

    /// <summary>The full object id of a commit named by sha or ref; null when there is none.</summary>
    public async Task<string?> ResolveCommitAsync(string directory, string revision, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(revision))
        {
            return null;
        }

        var result = await git.RunAsync(directory, ["rev-parse", "--verify", "--quiet", "--end-of-options", revision + "^{commit}"],
            cancellationToken, allowedExitCodes: [1, 128]);
        return result.ExitCode == 0 ? result.StandardOutput.Trim() : null;
    }

    /// <summary>True when <paramref name="ancestor"/> is reachable from <paramref name="descendant"/>; false also when either is unknown.</summary>
    public async Task<bool> IsAncestorAsync(string directory, string ancestor, string descendant, CancellationToken cancellationToken)
    {
        var result = await git.RunAsync(directory, ["merge-base", "--is-ancestor", "--end-of-options", ancestor, descendant],
            cancellationToken, allowedExitCodes: [1, 128]);
        return result.ExitCode == 0;
    }

    /// <summary><c>git rev-list --count exclude..include</c>.</summary>
    public async Task<int> CountAsync(string directory, string exclude, string include, CancellationToken cancellationToken)
    {
        var result = await git.RunAsync(directory, ["rev-list", "--count", "--end-of-options", $"{exclude}..{include}"], cancellationToken);
        return int.Parse(result.StandardOutput.Trim(), CultureInfo.InvariantCulture);
    }

    /// <summary>The best common ancestor; null for unrelated histories.</summary>
    public async Task<string?> MergeBaseAsync(string directory, string first, string second, CancellationToken cancellationToken)
    {
        var result = await git.RunAsync(directory, ["merge-base", "--end-of-options", first, second], cancellationToken, allowedExitCodes: [1]);
        return result.ExitCode == 0 ? result.StandardOutput.Trim() : null;
    }

    /// <summary>Commits reachable from <paramref name="include"/> but not <paramref name="exclude"/>, oldest first (parents before children).</summary>
    public async Task<IReadOnlyList<string>> RangeAsync(string directory, string exclude, string include, CancellationToken cancellationToken)
    {
        var result = await git.RunAsync(directory, ["rev-list", "--reverse", "--date-order", "--end-of-options", $"{exclude}..{include}"], cancellationToken);
        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    public async Task<GitCommitInfo> CommitAsync(string directory, string sha, CancellationToken cancellationToken) =>
        (await CommitsAsync(directory, [sha], cancellationToken))[0];

    /// <summary>Details of the given commits, in the given order; one git process for all that are not cached yet.</summary>
    public async Task<IReadOnlyList<GitCommitInfo>> CommitsAsync(string directory, IReadOnlyList<string> shas, CancellationToken cancellationToken)
    {
        var missing = shas.Where(sha => !_commits.ContainsKey((directory, sha))).Distinct(StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
        {
            var result = await git.RunAsync(directory, ["log", "-z", "--no-walk=unsorted", "--no-color", Format, "--stdin"],
                cancellationToken, standardInput: string.Join('\n', missing) + "\n");
            foreach (var commit in Parse(result.StandardOutput))
            {
                _commits[(directory, commit.Sha)] = commit;
            }
        }

        return [.. shas.Select(sha => _commits.TryGetValue((directory, sha), out var commit)
            ? commit
            : throw new GitCommandException($"commit {sha} not found in {directory}"))];
    }

    private static IEnumerable<GitCommitInfo> Parse(string output)
    {
        foreach (var record in output.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = record.TrimStart('\n').Split('\x1f', 10);
            if (fields.Length < 10)
            {
                continue;
            }

            yield return new GitCommitInfo(
                fields[0],
                fields[1],
                fields[2].Split(' ', StringSplitOptions.RemoveEmptyEntries),
                new GitSignature(fields[3], fields[4], Date(fields[5])),
                new GitSignature(fields[6], fields[7], Date(fields[8])),
                fields[9].TrimEnd('\n'));
        }
    }

    private static DateTimeOffset Date(string iso) => DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture, DateTimeStyles.None);
}
