namespace DeployGuard.Core.Intents;

public enum ChangeStatus
{
    Added,
    Modified,
    Deleted,
    TypeChanged,
}

/// <summary>One path changed between a commit and its first parent, as git's raw diff reports it.</summary>
public sealed record FileChange(ChangeStatus Status, string Path, string OldMode, string NewMode, string OldBlob, string NewBlob);

/// <summary>A commit on the watched branch's first-parent chain and the files it changed against its first parent.</summary>
public sealed record CommitChanges(string Commit, IReadOnlyList<string> Parents, IReadOnlyList<FileChange> Changes)
{
    public string? FirstParent => Parents.Count > 0 ? Parents[0] : null;
}

/// <summary>The first bytes of a blob: all of it when <see cref="IsWhole"/>, else a prefix of <see cref="Size"/>.</summary>
public sealed record BlobHead(long Size, ReadOnlyMemory<byte> Head)
{
    public bool IsWhole => Head.Length == Size;
}

/// <summary>
/// What DeployGuard needs from the deploy repository's git history. Narrow on purpose: the
/// implementation drives the git command line (docs/decisions.md), tests use real repositories.
/// </summary>
public interface IDeployRepository
{
    /// <summary>The full hash of <paramref name="revision"/>, or null when it does not resolve to a commit.</summary>
    Task<string?> ResolveCommitAsync(string revision, CancellationToken cancellationToken);

    Task<bool> IsAncestorAsync(string ancestor, string descendant, CancellationToken cancellationToken);

    /// <summary>
    /// The first-parent chain from <paramref name="until"/> back to (not including) <paramref name="since"/>,
    /// oldest first, each with its changes against its first parent, in one pass over history.
    /// </summary>
    Task<IReadOnlyList<CommitChanges>> GetFirstParentChangesAsync(string? since, string until, string? pathspec, CancellationToken cancellationToken);

    /// <summary>The first <paramref name="limit"/> bytes of each blob; a blob that does not exist is absent from the result.</summary>
    Task<IReadOnlyDictionary<string, BlobHead>> ReadBlobHeadsAsync(IReadOnlyCollection<string> blobIds, int limit, CancellationToken cancellationToken);

    /// <summary>The content of <paramref name="path"/> at <paramref name="commit"/> up to <paramref name="limit"/> bytes, or null when absent.</summary>
    Task<BlobHead?> ReadFileAsync(string commit, string path, int limit, CancellationToken cancellationToken);
}

/// <summary>Where the last processed commit of the watched branch is kept.</summary>
public interface ICheckpointStore
{
    Task<string?> GetAsync(CancellationToken cancellationToken);

    Task SetAsync(string commit, CancellationToken cancellationToken);
}
