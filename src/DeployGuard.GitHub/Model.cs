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

    /// <summary>GET /orgs/{org}/teams/{team}/memberships/{user}; null when GitHub answers 404 (not a member).</summary>
    Task<TeamMembership?> GetTeamMembershipAsync(string organization, string teamSlug, string user, CancellationToken cancellationToken);
}
