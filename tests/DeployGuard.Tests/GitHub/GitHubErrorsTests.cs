using System.Net;
using System.Text;
using DeployGuard.GitHub;
using DeployGuard.GitHub.Http;

namespace DeployGuard.Tests.GitHub;

public sealed class GitHubErrorsTests
{
    private static readonly GitHubRequest Request = new("GetPullRequest", HttpMethod.Get, new Uri("https://api.github.com/repos/acme/app/pulls/1"), "repos/acme/app/pulls/1");
    private static readonly DateTimeOffset Reset = new(2026, 11, 21, 11, 0, 0, TimeSpan.Zero);

    public static TheoryData<string, int, int?, int?, string?, Type> Answers => new()
    {
        { "401 is a bad token", 401, null, null, null, typeof(GitHubUnauthorizedException) },
        { "403 with retry-after is a secondary limit", 403, 30, null, null, typeof(GitHubRateLimitException) },
        { "429 with retry-after is a secondary limit", 429, 30, null, null, typeof(GitHubRateLimitException) },
        { "403 with remaining 0 is the primary limit", 403, null, 0, "API rate limit exceeded", typeof(GitHubRateLimitException) },
        { "403 naming the secondary limit is one", 403, null, 12, "You have exceeded a secondary rate limit.", typeof(GitHubRateLimitException) },
        { "429 without headers is still a rate limit", 429, null, null, null, typeof(GitHubRateLimitException) },
        { "any other 403 is a permission", 403, null, 4000, "Resource not accessible by integration", typeof(GitHubForbiddenException) },
        { "404", 404, null, null, "Not Found", typeof(GitHubNotFoundException) },
        { "422", 422, null, null, "Validation Failed", typeof(GitHubValidationException) },
        { "500", 500, null, null, null, typeof(GitHubUnavailableException) },
        { "502", 502, null, null, null, typeof(GitHubUnavailableException) },
        { "503", 503, null, null, null, typeof(GitHubUnavailableException) },
        { "408", 408, null, null, null, typeof(GitHubUnavailableException) },
        { "400 is a plain failure", 400, null, null, null, typeof(GitHubException) },
    };

    [Theory]
    [MemberData(nameof(Answers))]
    public void ToException_EachAnswer_MapsToItsType(string rule, int status, int? retryAfter, int? remaining, string? message, Type expected)
    {
        var body = message is null ? [] : Encoding.UTF8.GetBytes($$"""{"message":"{{message}}"}""");
        var response = new GitHubResponse(
            (HttpStatusCode)status,
            null,
            body,
            null,
            null,
            new RateLimitInfo(5000, remaining, remaining is null ? null : Reset, "core"),
            retryAfter is null ? null : TimeSpan.FromSeconds(retryAfter.Value));

        var error = GitHubErrors.ToException(Request, response, secret: null);

        error.GetType().ShouldBe(expected, rule);
        error.StatusCode.ShouldBe((HttpStatusCode)status);
        error.Message.ShouldContain("GetPullRequest: GET repos/acme/app/pulls/1");
        if (error is GitHubRateLimitException limit)
        {
            limit.IsSecondary.ShouldBe(remaining != 0, rule);
            limit.RetryAfter.ShouldBe(retryAfter is null ? null : TimeSpan.FromSeconds(retryAfter.Value));
            limit.ResetAt.ShouldBe(remaining == 0 ? Reset : null);
        }
    }

    [Fact]
    public void ToException_GitHubEchoesTheToken_MaskedInTheMessage()
    {
        var response = new GitHubResponse(HttpStatusCode.Unauthorized, "Unauthorized", Encoding.UTF8.GetBytes("""{"message":"Bad credentials: ghp_secret"}"""), null, null, default, null);

        var error = GitHubErrors.ToException(Request, response, "ghp_secret");

        error.Message.ShouldNotContain("ghp_secret");
        error.Message.ShouldContain("Bad credentials: ***");
    }
}
