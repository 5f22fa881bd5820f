using System.Text.Json.Serialization;

namespace DeployGuard.GitHub;

// Wire records for the REST endpoints DeployGuard calls. Only the fields it reads are declared;
// names and JSON types follow GitHub's official examples (../shared/github-contract/rest/).

public sealed record GitHubUser(
    [property: JsonPropertyName("login")] string Login,
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("type")] string? Type = null);

public sealed record GitHubLabel([property: JsonPropertyName("name")] string Name);

public sealed record GitHubRepositoryRef([property: JsonPropertyName("full_name")] string FullName);

/// <summary>The <c>base</c> or <c>head</c> of a pull request.</summary>
public sealed record GitHubBranchRef(
    [property: JsonPropertyName("ref")] string Ref,
    [property: JsonPropertyName("sha")] string Sha,
    [property: JsonPropertyName("repo")] GitHubRepositoryRef? Repo = null);

public sealed record PullRequest(
    [property: JsonPropertyName("number")] int Number,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("merged_at")] DateTimeOffset? MergedAt,
    [property: JsonPropertyName("merge_commit_sha")] string? MergeCommitSha,
    [property: JsonPropertyName("base")] GitHubBranchRef Base,
    [property: JsonPropertyName("head")] GitHubBranchRef Head,
    [property: JsonPropertyName("user")] GitHubUser? User,
    [property: JsonPropertyName("labels")] IReadOnlyList<GitHubLabel>? Labels = null,
    [property: JsonPropertyName("html_url")] string? HtmlUrl = null,
    [property: JsonPropertyName("merged")] bool? Merged = null);

public sealed record PullRequestReview(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("user")] GitHubUser? User,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("commit_id")] string? CommitId,
    [property: JsonPropertyName("submitted_at")] DateTimeOffset? SubmittedAt);

public sealed record GitIdentity(
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("email")] string? Email,
    [property: JsonPropertyName("date")] DateTimeOffset? Date);

public sealed record CommitDetail(
    [property: JsonPropertyName("author")] GitIdentity? Author,
    [property: JsonPropertyName("committer")] GitIdentity? Committer,
    [property: JsonPropertyName("message")] string? Message);

public sealed record PullRequestCommit(
    [property: JsonPropertyName("sha")] string Sha,
    [property: JsonPropertyName("commit")] CommitDetail Commit,
    [property: JsonPropertyName("author")] GitHubUser? Author,
    [property: JsonPropertyName("committer")] GitHubUser? Committer);

public sealed record CollaboratorAccess(
    [property: JsonPropertyName("permission")] string Permission,
    [property: JsonPropertyName("role_name")] string? RoleName,
    [property: JsonPropertyName("user")] GitHubUser? User);

public sealed record TeamMembership(
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("state")] string State);

/// <summary>The answer of GET /repos/{repo}/compare/{base}...{head}.</summary>
public sealed record CommitComparison(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("ahead_by")] int AheadBy,
    [property: JsonPropertyName("behind_by")] int BehindBy,
    [property: JsonPropertyName("total_commits")] int TotalCommits,
    [property: JsonPropertyName("commits")] IReadOnlyList<PullRequestCommit> Commits);

/// <summary>
/// The answer of GET /repos/{repo}/commits/{ref}: the commit a sha, branch or tag names. <see cref="Author"/> and
/// <see cref="Committer"/> are the GitHub accounts of the git identities in <see cref="Commit"/>, null when the
/// email belongs to none. The changed files and statistics GitHub also sends are not read.
/// </summary>
public sealed record GitCommitInfo(
    [property: JsonPropertyName("sha")] string Sha,
    [property: JsonPropertyName("commit")] CommitDetail Commit,
    [property: JsonPropertyName("author")] GitHubUser? Author,
    [property: JsonPropertyName("committer")] GitHubUser? Committer,
    [property: JsonPropertyName("html_url")] string HtmlUrl);

/// <summary>
/// One commit status of a combined status: the latest one its <see cref="Context"/> reported.
/// <see cref="State"/> is <c>success</c>, <c>pending</c>, <c>failure</c> or <c>error</c>.
/// </summary>
public sealed record CommitStatus(
    [property: JsonPropertyName("context")] string Context,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("description")] string? Description,
    [property: JsonPropertyName("target_url")] string? TargetUrl);

/// <summary>
/// The answer of GET /repos/{repo}/commits/{ref}/status. <see cref="State"/> is GitHub's verdict over every
/// context: <c>failure</c> when any failed or errored, else <c>pending</c> when any is pending or none reported at
/// all (<see cref="TotalCount"/> 0), else <c>success</c>.
/// </summary>
public sealed record CombinedStatus(
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("statuses")] IReadOnlyList<CommitStatus> Statuses,
    [property: JsonPropertyName("sha")] string Sha,
    [property: JsonPropertyName("total_count")] int TotalCount);

/// <summary>The GitHub App that created a check run.</summary>
public sealed record CheckRunApp([property: JsonPropertyName("slug")] string? Slug);

/// <summary>
/// A check run on a commit. <see cref="Status"/> is <c>queued</c>, <c>in_progress</c>, <c>completed</c>,
/// <c>waiting</c>, <c>requested</c> or <c>pending</c>; <see cref="Conclusion"/> is null until it completes, then
/// <c>success</c>, <c>failure</c>, <c>neutral</c>, <c>cancelled</c>, <c>skipped</c>, <c>timed_out</c>,
/// <c>action_required</c> or <c>stale</c>.
/// </summary>
public sealed record CheckRun(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("conclusion")] string? Conclusion,
    [property: JsonPropertyName("html_url")] string? HtmlUrl,
    [property: JsonPropertyName("app")] CheckRunApp? App = null);

/// <summary>The answer of GET /repos/{repo}/commits/{ref}/check-runs: one page of check runs.</summary>
internal sealed record CheckRunPage(
    [property: JsonPropertyName("total_count")] int TotalCount,
    [property: JsonPropertyName("check_runs")] IReadOnlyList<CheckRun> CheckRuns);

/// <summary>
/// The answer of POST /repos/{repo}/actions/workflows/{workflow}/dispatches when DeployGuard asks for
/// <c>return_run_details</c>: the run GitHub created, so it can be followed without searching for it.
/// </summary>
public sealed record WorkflowDispatchResult(
    [property: JsonPropertyName("workflow_run_id")] long WorkflowRunId,
    [property: JsonPropertyName("run_url")] string RunUrl,
    [property: JsonPropertyName("html_url")] string HtmlUrl);

/// <summary>
/// A GitHub Actions workflow run (GET /repos/{repo}/actions/runs[/{id}]). <see cref="Name"/>, <see cref="Status"/>
/// and <see cref="HeadBranch"/> are nullable in GitHub's <c>workflow-run</c> schema; <see cref="Conclusion"/> is null
/// until the run completes. <see cref="Path"/> is the workflow file, e.g. <c>.github/workflows/deploy.yml</c>,
/// which GitHub may suffix with <c>@ref</c>.
/// </summary>
public sealed record WorkflowRun(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("display_title")] string DisplayTitle,
    [property: JsonPropertyName("event")] string Event,
    [property: JsonPropertyName("status")] string? Status,
    [property: JsonPropertyName("conclusion")] string? Conclusion,
    [property: JsonPropertyName("head_branch")] string? HeadBranch,
    [property: JsonPropertyName("head_sha")] string HeadSha,
    [property: JsonPropertyName("html_url")] string HtmlUrl,
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("workflow_id")] long WorkflowId,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt);

/// <summary>The answer of GET /repos/{repo}/actions/runs: one page of runs, newest first.</summary>
internal sealed record WorkflowRunPage(
    [property: JsonPropertyName("total_count")] int TotalCount,
    [property: JsonPropertyName("workflow_runs")] IReadOnlyList<WorkflowRun> WorkflowRuns);

/// <summary>
/// Which runs <see cref="IGitHubClient.ListWorkflowRunsAsync"/> asks GitHub for; unset filters are not sent.
/// GitHub answers at most 1,000 runs to a filtered query, so a narrow <see cref="CreatedFrom"/> keeps the answer
/// complete and cheap.
/// </summary>
public sealed record WorkflowRunQuery
{
    /// <summary>The triggering event, e.g. <c>workflow_dispatch</c>.</summary>
    public string? Event { get; init; }

    /// <summary>Only runs created at or after this instant (<c>created=&gt;=…</c>, whole seconds).</summary>
    public DateTimeOffset? CreatedFrom { get; init; }

    /// <summary>A status or conclusion (<c>in_progress</c>, <c>completed</c>, <c>success</c>…).</summary>
    public string? Status { get; init; }

    /// <summary>The run's head branch.</summary>
    public string? Branch { get; init; }
}

/// <summary>
/// The GitHub REST calls DeployGuard makes (SPEC §10). Repositories are <c>owner/name</c>.
/// Every method either returns GitHub's answer or throws a <see cref="GitHubException"/>:
/// callers fail closed on any exception.
/// </summary>
public interface IGitHubClient
{
    /// <summary>GET /repos/{repo}/commits/{sha}/pulls, all pages.</summary>
    Task<IReadOnlyList<PullRequest>> ListPullRequestsForCommitAsync(string repository, string sha, CancellationToken cancellationToken);

    /// <summary>GET /repos/{repo}/pulls/{number}.</summary>
    Task<PullRequest> GetPullRequestAsync(string repository, int number, CancellationToken cancellationToken);

    /// <summary>GET /repos/{repo}/pulls/{number}/reviews, all pages, in GitHub's (chronological) order.</summary>
    Task<IReadOnlyList<PullRequestReview>> ListReviewsAsync(string repository, int number, CancellationToken cancellationToken);

    /// <summary>GET /repos/{repo}/pulls/{number}/commits, all pages.</summary>
    Task<IReadOnlyList<PullRequestCommit>> ListPullRequestCommitsAsync(string repository, int number, CancellationToken cancellationToken);

    /// <summary>GET /repos/{repo}/collaborators/{user}/permission; null when GitHub answers 404 (not a collaborator).</summary>
    Task<CollaboratorAccess?> GetCollaboratorAccessAsync(string repository, string user, CancellationToken cancellationToken);

    /// <summary>
    /// GET /repos/{repo}/compare/{base}...{head}: status (ahead, behind, identical, diverged),
    /// counts, and the commits head has that base lacks (GitHub lists at most 250; <c>total_commits</c> is exact).
    /// </summary>
    Task<CommitComparison> CompareAsync(string repository, string @base, string head, CancellationToken cancellationToken);

    /// <summary>
    /// GET /repos/{repo}/commits/{ref} (a sha, short sha, branch or tag); null when GitHub knows no such commit
    /// (422 "No commit found for SHA") or answers 404 (no such repository, or the token cannot see it).
    /// </summary>
    Task<GitCommitInfo?> GetCommitAsync(string repository, string @ref, CancellationToken cancellationToken);

    /// <summary>
    /// GET /repos/{repo}/commits/{ref}/status, all pages: the latest status of every context, and GitHub's
    /// combined <c>state</c> as the first page gives it.
    /// </summary>
    Task<CombinedStatus> GetCombinedStatusAsync(string repository, string @ref, CancellationToken cancellationToken);

    /// <summary>GET /repos/{repo}/commits/{ref}/check-runs, all pages: GitHub's latest run of each check.</summary>
    Task<IReadOnlyList<CheckRun>> ListCheckRunsAsync(string repository, string @ref, CancellationToken cancellationToken);

    /// <summary>GET /orgs/{org}/teams/{team}/memberships/{user}; null when GitHub answers 404 (not a member).</summary>
    Task<TeamMembership?> GetTeamMembershipAsync(string organization, string teamSlug, string user, CancellationToken cancellationToken);

    /// <summary>
    /// POST /repos/{repo}/actions/workflows/{workflow}/dispatches with <c>return_run_details</c>: the created run,
    /// or null when GitHub answers 204 without details (servers that predate the parameter).
    /// Not idempotent: the client retries it only when GitHub certainly did not act on it (a rate limit, a
    /// connection never made); after a 5xx or a timeout it throws the transient <see cref="GitHubException"/>,
    /// so the caller can look for the run before dispatching again.
    /// </summary>
    Task<WorkflowDispatchResult?> DispatchWorkflowAsync(string repository, string workflow, string @ref, IReadOnlyList<KeyValuePair<string, string>> inputs, CancellationToken cancellationToken);

    /// <summary>GET /repos/{repo}/actions/runs with the query's filters, newest first, all pages up to GitHub's 1,000 results.</summary>
    Task<IReadOnlyList<WorkflowRun>> ListWorkflowRunsAsync(string repository, WorkflowRunQuery query, CancellationToken cancellationToken);

    /// <summary>GET /repos/{repo}/actions/runs/{runId}.</summary>
    Task<WorkflowRun> GetWorkflowRunAsync(string repository, long runId, CancellationToken cancellationToken);

    /// <summary>
    /// POST /repos/{repo}/dispatches (a <c>repository_dispatch</c> event). Not idempotent: retried by the client
    /// only as <see cref="DispatchWorkflowAsync"/> is.
    /// </summary>
    Task CreateRepositoryDispatchAsync(string repository, string eventType, IReadOnlyList<KeyValuePair<string, string>> clientPayload, CancellationToken cancellationToken);
}
