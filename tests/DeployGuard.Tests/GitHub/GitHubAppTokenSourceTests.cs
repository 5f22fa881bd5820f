using System.Security.Cryptography;
using DeployGuard.GitHub;
using DeployGuard.GitHub.Auth;
using DeployGuard.Tests.Support;

namespace DeployGuard.Tests.GitHub;

/// <summary>The GitHub App flow against the emulator: a signed JWT buys an installation token, cached until near expiry.</summary>
public sealed class GitHubAppTokenSourceTests : IAsyncLifetime, IDisposable
{
    private const long AppId = 42;
    private const long InstallationId = 7;
    private const string MintPath = "/app/installations/7/access_tokens";
    private readonly RSA _key = RSA.Create(2048);
    private EmulatedGitHub _gh = null!;

    public Task InitializeAsync() => StartAsync(TimeSpan.FromHours(1));

    public async Task DisposeAsync() => await _gh.DisposeAsync();

    public void Dispose() => _key.Dispose();

    [Fact]
    public async Task GetToken_FirstCall_MintsWithTheJwtAndCachesTheToken()
    {
        var (client, tokens) = AppClient();
        var number = _gh.AddPullRequest();

        await client.GetPullRequestAsync(EmulatedGitHub.Repository, number, CancellationToken.None);
        await client.ListReviewsAsync(EmulatedGitHub.Repository, number, CancellationToken.None);

        tokens.Mints.ShouldBe(1);
        var mint = _gh.Requests.Where(r => r.PathAndQuery == MintPath).ShouldHaveSingleItem();
        mint.Method.ShouldBe("POST");
        mint.StatusCode.ShouldBe(201);
        _gh.Requests.Where(r => r.PathAndQuery.StartsWith("/repos/", StringComparison.Ordinal)).ShouldAllBe(r => r.StatusCode == 200 && r.HadAuthorization);
    }

    [Fact]
    public async Task GetToken_NearExpiry_RefreshesFiveMinutesBefore()
    {
        var (_, tokens) = AppClient();
        var first = await tokens.GetTokenAsync(CancellationToken.None);

        _gh.Time.Advance(TimeSpan.FromMinutes(54));
        (await tokens.GetTokenAsync(CancellationToken.None)).ShouldBe(first);
        tokens.Mints.ShouldBe(1);

        // expires_at − 5 min is 55 minutes after the mint; one second past it the token is replaced.
        _gh.Time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        var second = await tokens.GetTokenAsync(CancellationToken.None);

        second.ShouldNotBe(first);
        tokens.Mints.ShouldBe(2);
        _gh.Requests.Count(r => r.PathAndQuery == MintPath).ShouldBe(2);
    }

    [Fact]
    public async Task GetToken_ConcurrentCallersOnAnEmptyCache_ShareOneMint()
    {
        var (_, tokens) = AppClient();

        var all = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () => await tokens.GetTokenAsync(CancellationToken.None))));

        all.Distinct().ShouldHaveSingleItem();
        tokens.Mints.ShouldBe(1);
        _gh.Requests.Count(r => r.PathAndQuery == MintPath).ShouldBe(1);
    }

    [Fact]
    public async Task Call_TokenRefusedBeforeItsExpiry_MintsOnceMoreAndRetriesOnce()
    {
        // GitHub's clock runs 7 minutes ahead of ours: a 6-minute token we still think good has expired there,
        // while our JWT (valid 9 minutes) is still accepted.
        var githubTime = new FakeTimeProvider();
        await _gh.DisposeAsync();
        await StartAsync(TimeSpan.FromMinutes(6), githubTime);
        var (client, tokens) = AppClient();
        var number = _gh.AddPullRequest();
        await client.GetPullRequestAsync(EmulatedGitHub.Repository, number, CancellationToken.None);

        githubTime.Advance(TimeSpan.FromMinutes(7));
        var pull = await client.GetPullRequestAsync(EmulatedGitHub.Repository, number, CancellationToken.None);

        pull.Number.ShouldBe(number);
        tokens.Mints.ShouldBe(2);
        // The retry still carries the ETag of the first answer: the new token sees the same pull request.
        _gh.Requests.Select(r => r.StatusCode).ShouldBe([201, 200, 401, 201, 304]);
    }

    [Fact]
    public async Task GetToken_KeyTheAppDoesNotHave_Unauthorized()
    {
        using var other = RSA.Create(2048);
        using var tokens = new GitHubAppTokenSource(_gh.CreateHttp(_gh.Options()), AppId, InstallationId, other.ExportRSAPrivateKeyPem(), _gh.Time, _gh.Logs.CreateLogger<GitHubClient>());

        var error = await Should.ThrowAsync<GitHubUnauthorizedException>(tokens.GetTokenAsync(CancellationToken.None).AsTask());

        error.Message.ShouldContain("app/installations/7/access_tokens");
        tokens.Mints.ShouldBe(0);
    }

    [Fact]
    public void Constructor_NotAPemKey_RefusedWithoutQuotingIt()
    {
        const string notAKey = "-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0LWJ5dGVz\n-----END RSA PRIVATE KEY-----";

        var error = Should.Throw<ArgumentException>(() => new GitHubAppTokenSource(_gh.CreateHttp(_gh.Options()), AppId, InstallationId, notAKey, _gh.Time, _gh.Logs.CreateLogger<GitHubClient>()));

        error.Message.ShouldNotContain("c2VjcmV0LWJ5dGVz");
    }

    [Fact]
    public async Task Logs_AppFlow_NeverContainTheInstallationTokenOrTheJwt()
    {
        var (client, tokens) = AppClient();
        var number = _gh.AddPullRequest();
        await client.GetPullRequestAsync(EmulatedGitHub.Repository, number, CancellationToken.None);
        var token = await tokens.GetTokenAsync(CancellationToken.None);

        _gh.Logs.AllText.ShouldContain("installation token");
        _gh.Logs.AllText.ShouldNotContain(token);
        _gh.Logs.AllText.ShouldNotContain("eyJ"); // the start of every JWT
    }

    private async Task StartAsync(TimeSpan lifetime, FakeTimeProvider? githubTime = null)
    {
        _gh = await EmulatedGitHub.StartAsync(o => o.InstallationTokenLifetime = lifetime, githubTime);
        _gh.State.RegisterAppInstallation(appId: AppId, publicKeyPem: _key.ExportSubjectPublicKeyInfoPem(), installationId: InstallationId);
    }

    private (GitHubClient Client, GitHubAppTokenSource Tokens) AppClient()
    {
        var options = _gh.Options();
        var tokens = new GitHubAppTokenSource(_gh.CreateHttp(options), AppId, InstallationId, _key.ExportRSAPrivateKeyPem(), _gh.Time, _gh.Logs.CreateLogger<GitHubClient>());
        _gh.Own(tokens);
        return (_gh.CreateClient(options, tokens), tokens);
    }
}
