namespace DeployGuard.Sandbox;

/// <summary>
/// A pull request to seed. The head and base are branches of the same repository (no forks).
/// A merged pull request is always stored as <c>closed</c>, as on GitHub; its <see cref="MergedAt"/>
/// defaults to the emulator's clock when it is seeded or changed.
/// </summary>
public sealed record PullRequestSeed(string Author, string HeadRef, string HeadSha, string BaseRef, string BaseSha)
{
    /// <summary>The number; by default the next free one (1, 2, 3…).</summary>
    public int? Number { get; init; }

    /// <summary><c>open</c> or <c>closed</c>.</summary>
    public string State { get; init; } = "open";

    public bool Merged { get; init; }

    /// <summary>The merge, squash or rebase commit on the base branch; null for an open pull request.</summary>
    public string? MergeCommitSha { get; init; }

    public DateTimeOffset? MergedAt { get; init; }

    public IReadOnlyList<string> Labels { get; init; } = [];

    /// <summary>The title; "Pull request #n" when not given.</summary>
    public string? Title { get; init; }
}

/// <summary>
/// A review to seed. <see cref="State"/> is GitHub's REST value: APPROVED, CHANGES_REQUESTED,
/// COMMENTED, DISMISSED or PENDING. A PENDING review has no <c>submitted_at</c> and, as on GitHub,
/// only its author sees it.
/// </summary>
public sealed record ReviewSeed(string User, string State, string CommitId)
{
    /// <summary>When it was submitted; the emulator's clock at seeding when not given.</summary>
    public DateTimeOffset? SubmittedAt { get; init; }

    public string Body { get; init; } = "";
}
