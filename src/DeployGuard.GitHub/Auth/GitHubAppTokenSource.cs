using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using DeployGuard.GitHub.Http;
using DeployGuard.GitHub.Serialization;
using Microsoft.Extensions.Logging;

namespace DeployGuard.GitHub.Auth;

/// <summary>
/// Authenticates as a GitHub App installation: signs a JWT with the App's private key and exchanges it for an
/// installation token (POST app/installations/{id}/access_tokens), which lasts an hour. The token is cached and
/// replaced once fewer than <see cref="RefreshBefore"/> remain, by the injected clock; concurrent callers share one
/// refresh. Mint failures surface as the usual <see cref="GitHubException"/>s, so the client retries the
/// transient ones with the call that needed the token.
/// </summary>
internal sealed class GitHubAppTokenSource : IGitHubTokenSource, IDisposable
{
    public static readonly TimeSpan RefreshBefore = TimeSpan.FromMinutes(5);

    private readonly GitHubHttp _http;
    private readonly RSA _key;
    private readonly long _appId;
    private readonly long _installationId;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private volatile InstallationAccessToken? _current;

    public GitHubAppTokenSource(GitHubHttp http, long appId, long installationId, string privateKeyPem, TimeProvider time, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(privateKeyPem);
        _http = http;
        _appId = appId;
        _installationId = installationId;
        _time = time;
        _logger = logger;
        _key = RSA.Create();
        try
        {
            _key.ImportFromPem(privateKeyPem);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            _key.Dispose();

            // The exception text may quote the key material it failed on: never pass it on.
            throw new ArgumentException($"The private key of GitHub App {appId} is not a PEM RSA private key", nameof(privateKeyPem));
        }
    }

    /// <summary>Number of installation tokens minted so far (for tests and diagnostics).</summary>
    public int Mints { get; private set; }

    public static GitHubAppTokenSource FromKeyFile(GitHubHttp http, long appId, long installationId, string privateKeyFile, TimeProvider time, ILogger logger)
    {
        string pem;
        try
        {
            pem = File.ReadAllText(privateKeyFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"DeployGuard:GitHub:PrivateKeyFile '{privateKeyFile}' cannot be read: {e.Message}", nameof(privateKeyFile), e);
        }

        return new GitHubAppTokenSource(http, appId, installationId, pem, time, logger);
    }

    public async ValueTask<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        if (Usable(_current) is { } token)
        {
            return token;
        }

        await _refresh.WaitAsync(cancellationToken);
        try
        {
            // Another caller may have refreshed while this one waited.
            if (Usable(_current) is { } refreshed)
            {
                return refreshed;
            }

            var minted = await MintAsync(cancellationToken);
            _current = minted;
            return minted.Token;
        }
        finally
        {
            _refresh.Release();
        }
    }

    public void Invalidate() => _current = null;

    public void Dispose()
    {
        _key.Dispose();
        _refresh.Dispose();
    }

    private string? Usable(InstallationAccessToken? token) =>
        token is not null && token.ExpiresAt - _time.GetUtcNow() > RefreshBefore ? token.Token : null;

    private async Task<InstallationAccessToken> MintAsync(CancellationToken cancellationToken)
    {
        var jwt = GitHubAppJwt.Create(_key, _appId, _time.GetUtcNow());
        var request = _http.Request(
            "CreateInstallationToken",
            HttpMethod.Post,
            $"app/installations/{_installationId.ToString(CultureInfo.InvariantCulture)}/access_tokens");
        var response = await _http.SendAsync(request, jwt, cancellationToken);
        if (!response.IsSuccess)
        {
            throw GitHubErrors.ToException(request, response, jwt);
        }

        InstallationAccessToken? minted;
        try
        {
            minted = JsonSerializer.Deserialize(response.Body, GitHubJsonContext.Default.InstallationAccessToken);
        }
        catch (JsonException e)
        {
            throw GitHubErrors.Unreadable(request, e);
        }

        if (minted is null)
        {
            throw new GitHubException($"{request}: GitHub answered without a token");
        }

        minted = minted with { Token = TokenText.Validate(minted.Token, $"GitHub App installation {_installationId}") };
        Mints++;
        _logger.LogInformation(
            "GitHub App {AppId} installation {InstallationId}: new installation token, expires at {ExpiresAt}",
            _appId,
            _installationId,
            minted.ExpiresAt);
        return minted;
    }
}
