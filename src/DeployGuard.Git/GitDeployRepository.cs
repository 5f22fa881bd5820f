using System.Runtime.CompilerServices;
using DeployGuard.Core.Intents;

namespace DeployGuard.Git;

/// <summary>
/// <see cref="IDeployRepository"/> over a local git repository (bare mirror or working clone),
/// driven through the git command line. Works for SHA-1 and SHA-256 repositories alike: object
/// ids are whatever git prints.
/// </summary>
public sealed class GitDeployRepository : IDeployRepository, IAsyncDisposable
{
    private readonly GitCli _git;
    private readonly CatFileBatch _batch;

    public GitDeployRepository(string directory, GitCli git)
    {
        Directory = directory;
        _git = git;
        _batch = new CatFileBatch(git, directory);
    }

    public string Directory { get; }

    public async Task<string?> ResolveCommitAsync(string revision, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(revision);
        var result = await _git.RunAsync(Directory, ["rev-parse", "--verify", "--quiet", "--end-of-options", revision + "^{commit}"],
            cancellationToken, allowedExitCodes: [1, 128]);
        return result.ExitCode == 0 ? result.StandardOutput.Trim() : null;
    }

    public async Task<bool> IsAncestorAsync(string ancestor, string descendant, CancellationToken cancellationToken)
    {
        // Exit 1 means "not an ancestor"; anything else non-zero (an unknown commit) is an error.
        var result = await _git.RunAsync(Directory, ["merge-base", "--is-ancestor", "--end-of-options", ancestor, descendant],
            cancellationToken, allowedExitCodes: [1]);
        return result.ExitCode == 0;
    }

    public async Task<IReadOnlyList<CommitChanges>> GetFirstParentChangesAsync(string? since, string until, string? pathspec, CancellationToken cancellationToken)
    {
        var commits = new List<CommitChanges>();
        await foreach (var commit in StreamFirstParentChangesAsync(since, until, pathspec, cancellationToken))
        {
            commits.Add(commit);
        }

        commits.Reverse();
        return commits;
    }

    public async IAsyncEnumerable<CommitChanges> StreamFirstParentChangesAsync(
        string? since, string until, string? pathspec, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // One process for the whole range, never one per commit. Why each flag:
        //   --first-parent + --diff-merges=first-parent: a merged PR is one step, diffed against
        //     the branch as it was before the merge;
        //   --no-renames: a rename is a delete plus an add (SPEC §1);
        //   --root: the first commit of a repository is diffed against the empty tree;
        //   -z: paths verbatim, whatever characters they hold.
        List<string> args =
        [
            "log", "-z", "--first-parent", "--diff-merges=first-parent", "--raw", "--no-renames",
            "--no-abbrev", "--root", "--no-textconv", "--format=%H %P", "--end-of-options",
            since is null ? until : $"{since}..{until}",
            "--",
        ];
        if (pathspec is not null)
        {
            args.Add(pathspec);
        }

        await using var process = _git.StartStreaming(Directory, args);
        await foreach (var commit in ParseLogStreamAsync(new GitOutputReader(process.Output), cancellationToken))
        {
            yield return commit;
        }

        await process.WaitForSuccessAsync(cancellationToken);
    }

    /// <summary>Parses <c>git log -z --raw --format='%H %P'</c> output, newest first, into <paramref name="commits"/>.</summary>
    internal static async Task ParseLogAsync(GitOutputReader reader, List<CommitChanges> commits, CancellationToken cancellationToken)
    {
        await foreach (var commit in ParseLogStreamAsync(reader, cancellationToken))
        {
            commits.Add(commit);
        }
    }

    private static async IAsyncEnumerable<CommitChanges> ParseLogStreamAsync(GitOutputReader reader, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The stream is "<H> <P...>\0" then, after an LF, ":<raw>\0<path>\0" per change; the next
        // header follows the last path directly.
        string? commit = null;
        string[] parents = [];
        List<FileChange> changes = [];
        while (true)
        {
            await reader.SkipWhileAsync((byte)'\n', cancellationToken);
            if (await reader.ReadTokenAsync(0, cancellationToken) is not { } token)
            {
                break;
            }

            if (token.Length == 0)
            {
                continue;
            }

            if (token[0] == ':')
            {
                var path = await reader.ReadTokenAsync(0, cancellationToken)
                           ?? throw new GitCommandException("git log output ended in the middle of a change");
                changes.Add(ParseRaw(token, path));
                continue;
            }

            if (commit is not null)
            {
                yield return new CommitChanges(commit, parents, changes);
                changes = [];
            }

            var space = token.IndexOf(' ', StringComparison.Ordinal);
            commit = space < 0 ? token : token[..space];
            parents = space < 0 || space == token.Length - 1 ? [] : token[(space + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        }

        if (commit is not null)
        {
            yield return new CommitChanges(commit, parents, changes);
        }
    }

    private static FileChange ParseRaw(string raw, string path)
    {
        // ":<old mode> <new mode> <old blob> <new blob> <status>"; modes are 6 digits.
        var oldBlobEnd = raw.Length > 16 ? raw.IndexOf(' ', 15) : -1;
        var newBlobEnd = oldBlobEnd > 0 ? raw.IndexOf(' ', oldBlobEnd + 1) : -1;
        if (raw.Length < 16 || raw[7] != ' ' || raw[14] != ' ' || oldBlobEnd < 0 || newBlobEnd < 0 || newBlobEnd + 1 >= raw.Length)
        {
            throw new GitCommandException($"unexpected raw diff line from git: '{raw}'");
        }

        var status = raw[newBlobEnd + 1] switch
        {
            'A' => ChangeStatus.Added,
            'D' => ChangeStatus.Deleted,
            'T' => ChangeStatus.TypeChanged,
            _ => ChangeStatus.Modified,
        };
        return new FileChange(status, path, Mode(raw.AsSpan(1, 6)), Mode(raw.AsSpan(8, 6)),
            raw[15..oldBlobEnd], raw[(oldBlobEnd + 1)..newBlobEnd]);
    }

    /// <summary>The common modes as shared strings: one allocation per mode, not per change.</summary>
    private static string Mode(ReadOnlySpan<char> mode) => mode switch
    {
        "100644" => "100644",
        "100755" => "100755",
        "000000" => "000000",
        "120000" => "120000",
        "160000" => "160000",
        _ => mode.ToString(),
    };

    /// <summary>The changes from <paramref name="from"/>'s tree to <paramref name="to"/>'s, in one git call.</summary>
    public async Task<IReadOnlyList<FileChange>> DiffAsync(string from, string to, string? pathspec, CancellationToken cancellationToken)
    {
        List<string> args = ["diff-tree", "-r", "-z", "--no-renames", "--no-abbrev", "--no-textconv", "--end-of-options", from, to, "--"];
        if (pathspec is not null)
        {
            args.Add(pathspec);
        }

        var output = await _git.RunAsync(Directory, args, cancellationToken);
        var tokens = output.StandardOutput.Split('\0');
        var changes = new List<FileChange>();
        for (var i = 0; i + 1 < tokens.Length; i += 2)
        {
            if (tokens[i].StartsWith(':'))
            {
                changes.Add(ParseRaw(tokens[i], tokens[i + 1]));
            }
        }

        return changes;
    }

    /// <summary>Every file in <paramref name="commit"/>'s tree (under <paramref name="pathspec"/>): mode, blob id and path.</summary>
    public async Task<IReadOnlyList<(string Mode, string Blob, string Path)>> ListTreeAsync(string commit, string? pathspec, CancellationToken cancellationToken)
    {
        // ls-tree takes a lone trailing "--" as a path that matches nothing: only add it with a path.
        List<string> args = ["ls-tree", "-r", "-z", "--full-tree", "--end-of-options", commit];
        if (pathspec is not null)
        {
            args.Add("--");
            args.Add(pathspec);
        }

        var output = await _git.RunAsync(Directory, args, cancellationToken);
        var files = new List<(string, string, string)>();
        foreach (var line in output.StandardOutput.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            // "<mode> SP <type> SP <object> TAB <path>"
            var tab = line.IndexOf('\t', StringComparison.Ordinal);
            var fields = line[..tab].Split(' ');
            if (fields[1] == "blob")
            {
                files.Add((fields[0], fields[2], line[(tab + 1)..]));
            }
        }

        return files;
    }

    /// <summary>The best common ancestor of two commits, or null when they share none.</summary>
    public async Task<string?> MergeBaseAsync(string a, string b, CancellationToken cancellationToken)
    {
        var result = await _git.RunAsync(Directory, ["merge-base", "--end-of-options", a, b], cancellationToken, allowedExitCodes: [1]);
        return result.ExitCode == 0 ? result.StandardOutput.Trim() : null;
    }

    public async Task<IReadOnlyDictionary<string, BlobHead>> ReadBlobHeadsAsync(IReadOnlyCollection<string> blobIds, int limit, CancellationToken cancellationToken) =>
        await _batch.ReadHeadsAsync(blobIds, limit, cancellationToken);

    public Task<IBlobSession> OpenBlobSessionAsync(int limit, CancellationToken cancellationToken) =>
        _batch.OpenSessionAsync(limit, cancellationToken);

    public async Task<BlobHead?> ReadFileAsync(string commit, string path, int limit, CancellationToken cancellationToken)
    {
        var name = $"{commit}:{path}";
        var heads = await _batch.ReadHeadsAsync([name], limit, cancellationToken);
        return heads.TryGetValue(name, out var head) ? head : null;
    }

    public ValueTask DisposeAsync() => _batch.DisposeAsync();
}
