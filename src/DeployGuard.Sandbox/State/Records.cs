namespace DeployGuard.Sandbox;

// Immutable snapshots handed from EmulatorState to the endpoints: a request works on a consistent
// copy while tests go on seeding from other threads.

internal sealed record RepositoryRecord(string FullName, long Id, string? GitDirectory)
{
    public string Owner => FullName[..FullName.IndexOf('/', StringComparison.Ordinal)];

    public string Name => FullName[(FullName.IndexOf('/', StringComparison.Ordinal) + 1)..];
}

internal sealed record PullRequestRecord(
    string Repository, long Id, PullRequestSeed Seed, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? ClosedAt)
{
    public int Number => Seed.Number!.Value;
}

internal sealed record ReviewRecord(long Id, int PullRequest, ReviewSeed Seed, DateTimeOffset? SubmittedAt);

internal sealed record TokenRecord(string Login, DateTimeOffset? ExpiresAt);

internal sealed record TeamMembershipRecord(long TeamId, string Role, string State);

internal sealed record AppInstallationRecord(long InstallationId, long AppId, string PublicKeyPem);

internal sealed record WorkflowRecord(long Id, string FileName, WorkflowSeed Seed)
{
    public string Path => $".github/workflows/{FileName}";

    public string Name => Seed.Name ?? Path;
}

/// <summary>A run as the endpoints show it: a snapshot taken under the state's lock.</summary>
internal sealed record WorkflowRunRecord(
    long Id,
    int RunNumber,
    WorkflowRecord Workflow,
    string Ref,
    string HeadBranch,
    string HeadSha,
    IReadOnlyList<KeyValuePair<string, string>> Inputs,
    string DisplayTitle,
    string Actor,
    string Status,
    string? Conclusion,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>A workflow run the emulator created for a dispatch, as a test inspects it.</summary>
/// <param name="Workflow">The workflow file name, e.g. <c>deploy.yml</c>.</param>
/// <param name="Inputs">The dispatched inputs in the order sent; values that were not JSON strings as their JSON text.</param>
public sealed record WorkflowRunInfo(
    long Id,
    string Workflow,
    string Ref,
    IReadOnlyList<KeyValuePair<string, string>> Inputs,
    string DisplayTitle,
    string Status,
    string? Conclusion,
    DateTimeOffset CreatedAt);

/// <summary>A <c>repository_dispatch</c> event the emulator received, as a test inspects it.</summary>
/// <param name="ClientPayload">The top-level payload properties in the order sent; values that were not JSON strings as their JSON text.</param>
public sealed record RepositoryDispatchInfo(
    string EventType,
    IReadOnlyList<KeyValuePair<string, string>> ClientPayload,
    DateTimeOffset ReceivedAt);

/// <summary>A commit status as <c>POST …/statuses/{sha}</c> would have created it; one per report, never changed.</summary>
internal sealed record StatusRecord(
    long Id, string Sha, string Context, string State, string? Description, string? TargetUrl, DateTimeOffset CreatedAt);

/// <summary>A check run on a commit, as the endpoints show it now; <see cref="CompletedAt"/> is set when it completes.</summary>
internal sealed record CheckRunRecord(
    long Id, string HeadSha, string Name, string Status, string? Conclusion, DateTimeOffset StartedAt, DateTimeOffset? CompletedAt);
