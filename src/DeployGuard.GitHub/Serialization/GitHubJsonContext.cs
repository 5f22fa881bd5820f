using System.Text.Json.Serialization;

namespace DeployGuard.GitHub.Serialization;

/// <summary>The answer of POST app/installations/{id}/access_tokens (only what DeployGuard reads).</summary>
internal sealed record InstallationAccessToken(
    [property: JsonPropertyName("token")] string Token,
    [property: JsonPropertyName("expires_at")] DateTimeOffset ExpiresAt)
{
    // The token is a secret: a record's generated ToString would print it.
    public override string ToString() => $"InstallationAccessToken {{ ExpiresAt = {ExpiresAt:O} }}";
}

/// <summary>GitHub's error body (<c>basic-error</c>, <c>validation-error</c>).</summary>
internal sealed record GitHubErrorBody(
    [property: JsonPropertyName("message")] string? Message,
    [property: JsonPropertyName("documentation_url")] string? DocumentationUrl);

/// <summary>
/// The body of POST /repos/{repo}/actions/workflows/{workflow}/dispatches. <c>return_run_details</c> makes GitHub
/// answer 200 with the run it created instead of 204, so the run never has to be searched for.
/// </summary>
internal sealed record WorkflowDispatchRequest(
    [property: JsonPropertyName("ref")] string Ref,
    [property: JsonPropertyName("inputs")] Dictionary<string, string> Inputs,
    [property: JsonPropertyName("return_run_details")] bool ReturnRunDetails);

/// <summary>The body of POST /repos/{repo}/dispatches.</summary>
internal sealed record RepositoryDispatchRequest(
    [property: JsonPropertyName("event_type")] string EventType,
    [property: JsonPropertyName("client_payload")] Dictionary<string, string> ClientPayload);

/// <summary>
/// Source-generated serialization for every wire record: no reflection at run time, and a record GitHub
/// answers with null where the contract says non-null fails the call instead of flowing on as null.
/// </summary>
[JsonSourceGenerationOptions(RespectNullableAnnotations = true)]
[JsonSerializable(typeof(List<PullRequest>))]
[JsonSerializable(typeof(PullRequest))]
[JsonSerializable(typeof(List<PullRequestReview>))]
[JsonSerializable(typeof(List<PullRequestCommit>))]
[JsonSerializable(typeof(CollaboratorAccess))]
[JsonSerializable(typeof(TeamMembership))]
[JsonSerializable(typeof(CommitComparison))]
[JsonSerializable(typeof(GitCommitInfo))]
[JsonSerializable(typeof(CombinedStatus))]
[JsonSerializable(typeof(CheckRunPage))]
[JsonSerializable(typeof(WorkflowDispatchRequest))]
[JsonSerializable(typeof(WorkflowDispatchResult))]
[JsonSerializable(typeof(RepositoryDispatchRequest))]
[JsonSerializable(typeof(WorkflowRunPage))]
[JsonSerializable(typeof(WorkflowRun))]
[JsonSerializable(typeof(InstallationAccessToken))]
[JsonSerializable(typeof(GitHubErrorBody))]
[JsonSerializable(typeof(GitHubAppJwtHeader))]
[JsonSerializable(typeof(GitHubAppJwtClaims))]
internal sealed partial class GitHubJsonContext : JsonSerializerContext;

/// <summary>The JOSE header of a GitHub App JWT.</summary>
internal sealed record GitHubAppJwtHeader(
    [property: JsonPropertyName("alg")] string Algorithm,
    [property: JsonPropertyName("typ")] string Type);

/// <summary>The claims GitHub requires of an App JWT: issued at, expires, issuer (the App ID).</summary>
internal sealed record GitHubAppJwtClaims(
    [property: JsonPropertyName("iat")] long IssuedAt,
    [property: JsonPropertyName("exp")] long ExpiresAt,
    [property: JsonPropertyName("iss")] string Issuer);
