using DeployGuard.GitHub;
using DeployGuard.GitHub.Auth;
using DeployGuard.Tests.Support;

namespace DeployGuard.Tests.GitHub;

public sealed class StaticTokenSourceTests : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _dir = new("dg-token");
    private EmulatedGitHub _gh = null!;

    public async Task InitializeAsync() => _gh = await EmulatedGitHub.StartAsync();

    public async Task DisposeAsync() => await _gh.DisposeAsync();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task FromFile_TrimsTheToken()
    {
        var file = _dir.Combine("token");
        await File.WriteAllTextAsync(file, $"  {EmulatedGitHub.Token}\n");

        (await StaticTokenSource.FromFile(file).GetTokenAsync(CancellationToken.None)).ShouldBe(EmulatedGitHub.Token);
    }

    [Fact]
    public async Task FromFile_RotatedAfterFirstRead_RereadAfterA401AndTheCallSucceeds()
    {
        var file = _dir.Combine("token");
        await File.WriteAllTextAsync(file, "ghp_revoked_token_000000000000000000000");
        var tokens = StaticTokenSource.FromFile(file);
        await tokens.GetTokenAsync(CancellationToken.None);
        await File.WriteAllTextAsync(file, EmulatedGitHub.Token + "\n");
        var number = _gh.AddPullRequest();

        var pull = await _gh.CreateClient(tokens: tokens).GetPullRequestAsync(EmulatedGitHub.Repository, number, CancellationToken.None);

        pull.Number.ShouldBe(number);
        _gh.Requests.Select(r => r.StatusCode).ShouldBe([401, 200]);
    }

    [Fact]
    public async Task FromFile_StillWrongAfterRereading_OneRequestOnly()
    {
        var file = _dir.Combine("token");
        await File.WriteAllTextAsync(file, "ghp_revoked_token_000000000000000000000");
        var number = _gh.AddPullRequest();

        await Should.ThrowAsync<GitHubUnauthorizedException>(_gh.CreateClient(tokens: StaticTokenSource.FromFile(file)).GetPullRequestAsync(EmulatedGitHub.Repository, number, CancellationToken.None));

        _gh.Requests.Count.ShouldBe(1);
    }

    [Fact]
    public async Task FromFile_Missing_FailsClosedWithoutARequest()
    {
        var tokens = StaticTokenSource.FromFile(_dir.Combine("absent"));

        var error = await Should.ThrowAsync<GitHubUnauthorizedException>(_gh.CreateClient(tokens: tokens).GetPullRequestAsync(EmulatedGitHub.Repository, 1, CancellationToken.None));

        error.Message.ShouldContain("absent");
        _gh.Requests.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("two words")]
    [InlineData("line\nbreak")]
    public void FromToken_NotAHeaderValue_RefusedWithoutEchoingIt(string token)
    {
        var error = Should.Throw<GitHubUnauthorizedException>(() => StaticTokenSource.FromToken(token));

        if (token.Trim().Length > 0)
        {
            error.Message.ShouldNotContain(token.Trim());
        }
    }
}
