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

        if (!await repository.IsAncestorAsync(checkpoint, tip, cancellationToken))
        {
            return new Detection.Diverged(checkpoint, tip);
        }

        var commits = await repository.GetFirstParentChangesAsync(checkpoint, tip, layout.Pathspec, cancellationToken);
        var set = await BuildAsync(commits, cancellationToken);
        return new Detection.Pending(checkpoint, tip, commits.Count, set);
    }

    /// <summary>Builds the intents of already listed commits, reading every blob they need in one batch.</summary>
    public async Task<IntentSet> BuildAsync(IReadOnlyList<CommitChanges> commits, CancellationToken cancellationToken)
    {
        var needed = IntentBuilder.BlobsNeeded(commits, layout);
        var blobs = needed.Count == 0
            ? new Dictionary<string, BlobHead>()
            : await repository.ReadBlobHeadsAsync(needed, DeployFileParser.ReadLimit, cancellationToken);
        return IntentBuilder.Build(commits, blobs, layout);
    }
}
