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
                RequestBlobs(change, layout, blob => blobs.Add(blob));
            }
        }

        return blobs;
    }

    /// <summary>Hands <paramref name="request"/> the blobs of <paramref name="change"/> that <see cref="Build"/> will parse.</summary>
    public static void RequestBlobs(FileChange change, DeployLayout layout, Action<string> request)
    {
        ArgumentNullException.ThrowIfNull(change);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(request);
        if (layout.Classify(change.Path).Kind != PathKind.DeployFile)
        {
            return;
        }

        if (change.Status != ChangeStatus.Added && IsRegularFile(change.OldMode))
        {
            request(change.OldBlob);
        }

        if (change.Status != ChangeStatus.Deleted && IsRegularFile(change.NewMode))
        {
            request(change.NewBlob);
        }
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

        // Decide first, then build the intent once: a scan makes tens of thousands of them.
        var kind = IntentKind.Deploy;
        string? newCommit = null;
        DeployFileError? fileError = null;
        if (change.Status == ChangeStatus.Deleted)
        {
            kind = IntentKind.Remove;
        }
        else if (DeployLayout.CheckMode(change.Path, change.NewMode) is { } modeError)
        {
            fileError = modeError;
        }
        else
        {
            var current = Parse(change.NewBlob, change.Path, blobs, parsed);
            fileError = current.Error;
            newCommit = current.Content?.Commit;

            // Only the first token matters: an edit of the free text below it is not a deploy.
            if (newCommit is not null && change.Status == ChangeStatus.Modified && previous.Content?.Commit == newCommit)
            {
                return null;
            }
        }

        return new DeployIntent
        {
            Environment = location.Environment,
            App = location.App,
            Path = change.Path,
            Kind = kind,
            Commit = newCommit,
            PreviousCommit = previous.Content?.Commit,
            DeployCommit = commit.Commit,
            PolicyCommit = commit.FirstParent,
            FileError = fileError,
            ChangesPolicy = changesPolicy,
        };
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
        // Newest first: the first intent met for a key is the one that wins.
        var winner = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = intents.Count - 1; i >= 0; i--)
        {
            var intent = intents[i];
            var key = intent.Key;
            if (winner.TryGetValue(key, out var newest))
            {
                intents[i] = intent with { SupersededBy = newest };
            }
            else
            {
                winner[key] = intent.DeployId;
            }
        }

        return intents;
    }

    private static bool IsRegularFile(string mode) => mode is "100644" or "100755";
}
