using System.Net;
using DeployGuard.GitHub;
using DeployGuard.GitHub.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace DeployGuard.Tests.GitHub;

/// <summary>What goes on the wire. The emulator does not record headers, so a recording handler stands in here.</summary>
public sealed class GitHubHttpTests
{
    [Fact]
    public async Task SendAsync_AnyRequest_CarriesGitHubsHeadersAndTheBearerToken()
    {
        using var handler = new RecordingHandler();
        using var client = new HttpClient(handler);
        var http = new GitHubHttp(client, new GitHubClientOptions { ApiUrl = "https://ghe.example.com/api/v3" }, NullLogger.Instance);

        await http.SendAsync(http.Request("Test", HttpMethod.Get, "repos/acme/app/pulls/1"), "tok", CancellationToken.None);

        var request = handler.Requests.ShouldHaveSingleItem();
        request.RequestUri.ShouldBe(new Uri("https://ghe.example.com/api/v3/repos/acme/app/pulls/1"));
        request.Headers.Accept.ToString().ShouldBe("application/vnd.github+json");
        request.Headers.GetValues("X-GitHub-Api-Version").ShouldBe(["2022-11-28"]);
        request.Headers.UserAgent.ToString().ShouldStartWith("DeployGuard/");
        request.Headers.Authorization!.Scheme.ShouldBe("Bearer");
        request.Headers.Authorization.Parameter.ShouldBe("tok");
    }

    [Fact]
    public void Request_LinkToAnotherHost_RefusedSoTheTokenStaysHome()
    {
        var http = new GitHubHttp(new HttpClient(), new GitHubClientOptions(), NullLogger.Instance);

        Should.Throw<GitHubException>(() => http.Request("Test", HttpMethod.Get, new Uri("https://evil.example.com/repos/acme/app/pulls?page=2")));
    }

    private sealed class RecordingHandler : HttpMessageHandler
    {
        public List<HttpRequestMessage> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add(request);
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("{}") });
        }
    }
}
