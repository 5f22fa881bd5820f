namespace DeployGuard.Sandbox;

/// <summary>
/// One request the emulator received. <paramref name="PathAndQuery"/> is what the client sent,
/// <see cref="GitHubEmulatorOptions.PathPrefix"/> included. <paramref name="StatusCode"/> is 0 while
/// the answer has not started yet (a fault's delay), and 499 when the client went away first.
/// </summary>
public sealed record RecordedRequest(string Method, string PathAndQuery, int StatusCode, bool HadAuthorization, string? IfNoneMatch);
