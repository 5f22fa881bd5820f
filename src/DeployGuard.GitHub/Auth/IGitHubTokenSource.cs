namespace DeployGuard.GitHub.Auth;

/// <summary>Where the bearer token of each request comes from.</summary>
public interface IGitHubTokenSource
{
    /// <summary>A token to send now. Throws <see cref="GitHubException"/> when none can be had.</summary>
    ValueTask<string> GetTokenAsync(CancellationToken cancellationToken);

    /// <summary>
    /// GitHub refused the last token (401): forget it, so the next <see cref="GetTokenAsync"/> re-reads or re-mints.
    /// The client retries once, and only when that yields a different token.
    /// </summary>
    void Invalidate();
}
