using DeployGuard.Core.Intents;

namespace DeployGuard.Git;

/// <summary>
/// The local bare copy of the deploy repository under the work directory. Only the watched branch
/// and the ledger notes are fetched: DeployGuard never needs the rest, and a GitHub repository's
/// pull-request refs can outnumber its branches by thousands.
/// </summary>
public sealed class LocalMirror(GitCli git, string url, string branch, string directory)
{
    public string Directory { get; } = Path.GetFullPath(directory);

    /// <summary>The deploy repository's remote: where the ledger is pushed.</summary>
    public string Url => url;

    /// <summary>The ref in the mirror that tracks the watched branch.</summary>
    public string BranchRef => $"refs/heads/{branch}";

    /// <summary>Clones on first use, fetches the watched branch afterwards. Safe to call every loop.</summary>
    public async Task SyncAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(Path.Combine(Directory, "HEAD")))
        {
            await CloneAsync(cancellationToken);
        }

        // One round trip for the branch and the ledger (SPEC §6). The URL is passed each time
        // rather than stored, so a changed configuration takes effect.
        await git.RunAsync(Directory, ["fetch", "--prune", "--no-tags", "--quiet", "--", url, $"+{BranchRef}:{BranchRef}", GitNotesLedger.FetchRefspec], cancellationToken);
    }

    private async Task CloneAsync(CancellationToken cancellationToken)
    {
        // Clone beside the target and move it into place, so an interrupted clone is never taken
        // for a mirror. Cloning (not init + fetch) picks up the remote's object format (SHA-256).
        var parent = Path.GetDirectoryName(Directory)!;
        System.IO.Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".clone-{Guid.NewGuid():N}");
        try
        {
            await git.RunAsync(null, ["clone", "--bare", "--quiet", "--no-tags", "--single-branch", "--branch", branch, "--", url, staging], cancellationToken);
            System.IO.Directory.Move(staging, Directory);
        }
        finally
        {
            if (System.IO.Directory.Exists(staging))
            {
                System.IO.Directory.Delete(staging, recursive: true);
            }
        }
    }
}
