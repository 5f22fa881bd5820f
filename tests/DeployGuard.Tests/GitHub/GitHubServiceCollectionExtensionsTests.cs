using DeployGuard.GitHub;
using DeployGuard.GitHub.Auth;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DeployGuard.Tests.GitHub;

public sealed class GitHubServiceCollectionExtensionsTests
{
    [Fact]
    public async Task AddGitHubClient_StableConfigurationKeys_ClientWorksAgainstTheEmulator()
    {
        await using var gh = await EmulatedGitHub.StartAsync(o => o.PathPrefix = "/api/v3");
        var number = gh.AddPullRequest();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DeployGuard:GitHub:ApiUrl"] = gh.Emulator.ApiUrl.AbsoluteUri.TrimEnd('/'),
            ["DeployGuard:GitHub:Token"] = EmulatedGitHub.Token,
            ["DeployGuard:GitHub:PageSize"] = "50",
        }).Build();
        await using var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddGitHubClient()
            .BuildServiceProvider(validateScopes: true);

        var pull = await services.GetRequiredService<IGitHubClient>().GetPullRequestAsync(EmulatedGitHub.Repository, number, CancellationToken.None);

        pull.Number.ShouldBe(number);
        services.GetRequiredService<IOptions<GitHubClientOptions>>().Value.PageSize.ShouldBe(50);
        services.GetRequiredService<IGitHubTokenSource>().ShouldBeOfType<StaticTokenSource>();
        gh.Requests.ShouldHaveSingleItem().PathAndQuery.ShouldBe($"/api/v3/repos/acme/deploy/pulls/{number}");
    }

    [Fact]
    public async Task AddGitHubClient_NoCredential_CallsFailClosedNamingTheKeys()
    {
        await using var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().Build())
            .AddGitHubClient(o => o.ApiUrl = "http://127.0.0.1:9/")
            .BuildServiceProvider();

        var error = await Should.ThrowAsync<GitHubUnauthorizedException>(services.GetRequiredService<IGitHubClient>().GetPullRequestAsync("acme/app", 1, CancellationToken.None));

        error.Message.ShouldContain("DeployGuard:GitHub:Token");
    }

    [Fact]
    public void Validate_EverySettingWrongAtOnce_ReportsEachByKey()
    {
        var options = new GitHubClientOptions
        {
            ApiUrl = "not a url",
            Token = "ghp_x",
            TokenFile = "/nonexistent/token",
            AppId = 42,
        };

        var result = new GitHubClientOptionsValidator().Validate(null, options);

        result.Failed.ShouldBeTrue();
        var failures = result.Failures!.ToList();
        failures.ShouldContain(f => f.Contains("DeployGuard:GitHub:ApiUrl", StringComparison.Ordinal));
        failures.ShouldContain(f => f.Contains("go together", StringComparison.Ordinal));
        failures.ShouldContain(f => f.Contains("only one of", StringComparison.Ordinal));
        failures.ShouldContain(f => f.Contains("DeployGuard:GitHub:TokenFile", StringComparison.Ordinal));
        failures.ShouldAllBe(f => !f.Contains("ghp_x", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("https://api.github.com", "https://api.github.com/")]
    [InlineData("https://api.github.com/", "https://api.github.com/")]
    [InlineData("https://ghe.example.com/api/v3", "https://ghe.example.com/api/v3/")]
    [InlineData("https://ghe.example.com/api/v3/", "https://ghe.example.com/api/v3/")]
    public void GetBaseUri_WithOrWithoutTrailingSlash_EndsInOne(string apiUrl, string expected) =>
        new GitHubClientOptions { ApiUrl = apiUrl }.GetBaseUri().ShouldBe(new Uri(expected));
}
