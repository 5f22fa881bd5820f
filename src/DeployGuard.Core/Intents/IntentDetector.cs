using DeployGuard.Core.DeployFiles;

namespace DeployGuard.Core.Intents;

/// <summary>What the watched branch holds that has not been processed yet.</summary>
public abstract record Detection(string Tip)
{
    /// <summary>First start: the tip is recorded as processed and nothing is deployed. History is never replayed.</summary>
    public sealed record Baseline(string Tip) : Detection(Tip);

    public sealed record UpToDate(string Tip) : Detection(Tip);

    /// <summary>The checkpoint is no longer an ancestor of the tip: nothing deploys until an operator resets.</summary>
    public sealed record Diverged(string Checkpoint, string Tip) : Detection(Tip);

    public sealed record Pending(string Checkpoint, string Tip, int CommitCount, IntentSet Set) : Detection(Tip);
}

/// <summary>The "detect" stage: from checkpoint and branch tip to the intents pending between them.</summary>
public sealed class IntentDetector(IDeployRepository repository, DeployLayout layout)
{
    public async Task<Detection> DetectAsync(string branchRef, string? checkpoint, CancellationToken cancellationToken)
    {
        var tip = await repository.ResolveCommitAsync(branchRef, cancellationToken)
                  ?? throw new InvalidOperationException($"the watched branch '{branchRef}' does not exist in the deploy repository");

        if (checkpoint is null)
        {
            return new Detection.Baseline(tip);
        }

        if (checkpoint == tip)
        {
            return new Detection.UpToDate(tip);
        }

        // The ancestry check and the history walk run side by side; if the checkpoint turns out
        // not to be an ancestor, the walk is abandoned and nothing from it is used.
        using var scan = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var collecting = CollectAsync(checkpoint, tip, scan.Token);
        bool isAncestor;
        try
        {
            isAncestor = await repository.IsAncestorAsync(checkpoint, tip, cancellationToken);
        }
        catch
        {
            await AbandonAsync(scan, collecting);
            throw;
        }

        if (!isAncestor)
        {
            await AbandonAsync(scan, collecting);
            return new Detection.Diverged(checkpoint, tip);
        }

        var (commits, blobs) = await collecting;
        return new Detection.Pending(checkpoint, tip, commits.Count, IntentBuilder.Build(commits, blobs, layout));
    }

    /// <summary>
    /// Walks the history and asks for each needed blob as soon as its change is parsed, so git
    /// reads blobs while it is still walking history: on two cores the stages overlap.
    /// </summary>
    private async Task<(List<CommitChanges> Commits, IReadOnlyDictionary<string, BlobHead> Blobs)> CollectAsync(
        string checkpoint, string tip, CancellationToken cancellationToken)
    {
        var commits = new List<CommitChanges>();
        await using var blobs = await repository.OpenBlobSessionAsync(DeployFileParser.ReadLimit, cancellationToken);
        await foreach (var commit in repository.StreamFirstParentChangesAsync(checkpoint, tip, layout.Pathspec, cancellationToken))
        {
            foreach (var change in commit.Changes)
            {
                IntentBuilder.RequestBlobs(change, layout, blobs.Request);
            }

            commits.Add(commit);
        }

        var heads = await blobs.CompleteAsync(cancellationToken);
        commits.Reverse();
        return (commits, heads);
    }

    private static async Task AbandonAsync(CancellationTokenSource scan, Task collecting)
    {
        await scan.CancelAsync();
        try
        {
            await collecting;
        }
        catch (Exception)
        {
            // The walk was cancelled on purpose; whatever it ended with is of no use.
        }
    }
}
