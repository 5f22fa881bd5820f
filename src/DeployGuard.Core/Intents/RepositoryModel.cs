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

    /// <summary>
    /// The same chain, newest first, as git prints it: callers can start work (blob reads) on the
    /// first commits while git is still walking history.
    /// </summary>
    IAsyncEnumerable<CommitChanges> StreamFirstParentChangesAsync(string? since, string until, string? pathspec, CancellationToken cancellationToken);

    /// <summary>Starts a batch of blob reads whose requests can be added while earlier ones are being answered.</summary>
    Task<IBlobSession> OpenBlobSessionAsync(int limit, CancellationToken cancellationToken);

    /// <summary>The first <paramref name="limit"/> bytes of each blob; a blob that does not exist is absent from the result.</summary>
    Task<IReadOnlyDictionary<string, BlobHead>> ReadBlobHeadsAsync(IReadOnlyCollection<string> blobIds, int limit, CancellationToken cancellationToken);

    /// <summary>The content of <paramref name="path"/> at <paramref name="commit"/> up to <paramref name="limit"/> bytes, or null when absent.</summary>
    Task<BlobHead?> ReadFileAsync(string commit, string path, int limit, CancellationToken cancellationToken);
}

/// <summary>
/// Blob reads pipelined with whatever produces their ids. <see cref="Request"/> is called from one
/// producer; the answers are collected by <see cref="CompleteAsync"/>. Disposing without completing
/// abandons the batch.
/// </summary>
public interface IBlobSession : IAsyncDisposable
{
    /// <summary>Asks for a blob's first bytes; repeated ids are asked for once.</summary>
    void Request(string blobId);

    /// <summary>Waits for every answer: the first bytes of each requested blob that exists.</summary>
    Task<IReadOnlyDictionary<string, BlobHead>> CompleteAsync(CancellationToken cancellationToken);
}
