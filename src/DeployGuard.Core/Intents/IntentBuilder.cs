using DeployGuard.Core.DeployFiles;

namespace DeployGuard.Core.Intents;

/// <summary>A change to the deploy repository that breaks the layout: no intent, but reported.</summary>
public sealed record LayoutProblem(string DeployCommit, DeployFileError Error);

/// <summary>The intents of a range of commits, oldest first, and the layout problems met on the way.</summary>
public sealed record IntentSet(IReadOnlyList<DeployIntent> Intents, IReadOnlyList<LayoutProblem> Problems)
{
    /// <summary>The intents that will be acted on: the newest per environment/app.</summary>
    public IEnumerable<DeployIntent> Active => Intents.Where(i => i.SupersededBy is null);

    public IEnumerable<DeployIntent> Superseded => Intents.Where(i => i.SupersededBy is not null);
}

/// <summary>
/// Turns first-parent changes into deploy intents (SPEC §2). Pure: the blob contents it needs
/// are read beforehand, in one batch, by <see cref="IntentDetector"/>.
/// </summary>
public static class IntentBuilder
{
    /// <summary>Every blob whose first token is needed to build the intents of <paramref name="commits"/>.</summary>
    public static HashSet<string> BlobsNeeded(IEnumerable<CommitChanges> commits, DeployLayout layout)
    {
        var blobs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var commit in commits)
        {
            foreach (var change in commit.Changes)
            {
                if (layout.Classify(change.Path).Kind != PathKind.DeployFile)
                {
                    continue;
                }

                if (change.Status != ChangeStatus.Added && IsRegularFile(change.OldMode))
                {
                    blobs.Add(change.OldBlob);
                }

                if (change.Status != ChangeStatus.Deleted && IsRegularFile(change.NewMode))
                {
                    blobs.Add(change.NewBlob);
                }
            }
        }

        return blobs;
    }

    public static IntentSet Build(IReadOnlyList<CommitChanges> commits, IReadOnlyDictionary<string, BlobHead> blobs, DeployLayout layout)
    {
        ArgumentNullException.ThrowIfNull(commits);
        ArgumentNullException.ThrowIfNull(blobs);
        ArgumentNullException.ThrowIfNull(layout);

        var parsed = new Dictionary<string, DeployFileParseResult>(StringComparer.Ordinal);
        var intents = new List<DeployIntent>();
        var problems = new List<LayoutProblem>();
        foreach (var commit in commits)
        {
            var changesPolicy = commit.Changes.Any(c => c.Path == layout.PolicyPath);
            foreach (var change in commit.Changes)
            {
                var classification = layout.Classify(change.Path);
                if (classification.Kind == PathKind.LayoutError && change.Status != ChangeStatus.Deleted)
                {
                    problems.Add(new LayoutProblem(commit.Commit, classification.Error!));
                    continue;
                }

                if (classification.Location is not { } location)
                {
                    continue;
                }

                if (ToIntent(commit, change, location, changesPolicy, blobs, parsed) is { } intent)
                {
                    intents.Add(intent);
                }
            }
        }

        return new IntentSet(MarkSuperseded(intents), problems);
    }

    private static DeployIntent? ToIntent(
        CommitChanges commit,
        FileChange change,
        DeployFileLocation location,
        bool changesPolicy,
        IReadOnlyDictionary<string, BlobHead> blobs,
        Dictionary<string, DeployFileParseResult> parsed)
    {
        var previous = change.Status != ChangeStatus.Added && IsRegularFile(change.OldMode)
            ? Parse(change.OldBlob, change.Path, blobs, parsed)
            : default;
        var intent = new DeployIntent
        {
            Environment = location.Environment,
            App = location.App,
            Path = change.Path,
            Kind = IntentKind.Deploy,
            PreviousCommit = previous.Content?.Commit,
            DeployCommit = commit.Commit,
            PolicyCommit = commit.FirstParent,
            ChangesPolicy = changesPolicy,
        };

        if (change.Status == ChangeStatus.Deleted)
        {
            return intent with { Kind = IntentKind.Remove };
        }

        if (DeployLayout.CheckMode(change.Path, change.NewMode) is { } modeError)
        {
            return intent with { FileError = modeError };
        }

        var current = Parse(change.NewBlob, change.Path, blobs, parsed);
        if (current.Error is { } error)
        {
            return intent with { FileError = error };
        }

        // Only the first token matters: an edit of the free text below it is not a deploy.
        if (change.Status == ChangeStatus.Modified && previous.Content?.Commit == current.Content!.Commit)
        {
            return null;
        }

        return intent with { Commit = current.Content!.Commit };
    }

    private static DeployFileParseResult Parse(
        string blob,
        string path,
        IReadOnlyDictionary<string, BlobHead> blobs,
        Dictionary<string, DeployFileParseResult> parsed)
    {
        if (!parsed.TryGetValue(blob, out var result))
        {
            result = blobs.TryGetValue(blob, out var head)
                ? DeployFileParser.Parse(head.Head.Span, head.IsWhole, path)
                : DeployFileParseResult.Fail(new DeployFileError(path, 0, DeployFileErrorCode.Empty, $"blob {blob} of the deploy file could not be read"));
            parsed[blob] = result;
        }

        // Identical content at two paths is one blob: name the path being judged.
        return result.Error is { } e && e.Path != path ? DeployFileParseResult.Fail(e with { Path = path }) : result;
    }

    /// <summary>Newest wins: every older pending intent for the same environment/app is superseded by it.</summary>
    private static List<DeployIntent> MarkSuperseded(List<DeployIntent> intents)
    {
        var newest = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = intents.Count - 1; i >= 0; i--)
        {
            newest.TryAdd(intents[i].Key, intents[i].DeployId);
        }

        for (var i = 0; i < intents.Count; i++)
        {
            var winner = newest[intents[i].Key];
            if (winner != intents[i].DeployId)
            {
                intents[i] = intents[i] with { SupersededBy = winner };
            }
        }

        return intents;
    }

    private static bool IsRegularFile(string mode) => mode is "100644" or "100755";
}
