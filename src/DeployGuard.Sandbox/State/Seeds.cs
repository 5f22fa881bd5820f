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

/// <summary>
/// A GitHub Actions workflow to seed (a file under <c>.github/workflows/</c> with a <c>workflow_dispatch</c>
/// trigger). The file itself need not exist in the repository's git data: the emulator runs nothing, it only
/// records dispatches and plays each run through <c>queued</c> → <c>in_progress</c> → <c>completed</c>.
/// </summary>
public sealed record WorkflowSeed
{
    /// <summary>The workflow's <c>name:</c>; when null, the file's path, as GitHub shows a workflow without one.</summary>
    public string? Name { get; init; }

    /// <summary>
    /// The workflow's <c>run-name:</c>, which becomes each run's <c>display_title</c>; <c>${{ inputs.X }}</c> is
    /// replaced by the dispatched input X ("" when not given). When null the title is the workflow's name, as on GitHub.
    /// </summary>
    public string? RunName { get; init; } = "Deploy ${{ inputs.deploy_id }}";

    /// <summary>How new runs conclude: success, failure, neutral, cancelled, skipped, timed_out, action_required, stale or startup_failure.</summary>
    public string Conclusion { get; init; } = "success";

    /// <summary>
    /// Reads of a run (<c>GET …/actions/runs/{id}</c>) that still show it <c>in_progress</c>; the next read shows it
    /// <c>completed</c>. 0 completes runs at once; <see cref="int.MaxValue"/> keeps them running until
    /// <see cref="EmulatorState.CompleteRun"/>. Listing runs shows them without moving them on.
    /// </summary>
    public int PollsBeforeCompletion { get; init; } = 1;

    /// <summary>
    /// False to answer a dispatch 204 even when <c>return_run_details</c> is asked for, as GitHub Enterprise Server
    /// versions that predate the parameter do; the client must then find the run by listing.
    /// </summary>
    public bool AnswersWithRunDetails { get; init; } = true;
}
