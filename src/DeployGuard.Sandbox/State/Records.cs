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
