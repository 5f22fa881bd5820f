using DeployGuard.GitHub.Http;

namespace DeployGuard.Tests.GitHub;

public sealed class LinkHeaderTests
{
    [Theory]
    [InlineData("<https://api.github.com/resource?page=2>; rel=\"next\", <https://api.github.com/resource?page=5>; rel=\"last\"", "https://api.github.com/resource?page=2")]
    [InlineData("<https://api.github.com/r?page=1>; rel=\"prev\", <https://api.github.com/r?page=3>; rel=\"next\", <https://api.github.com/r?page=5>; rel=\"last\", <https://api.github.com/r?page=1>; rel=\"first\"", "https://api.github.com/r?page=3")]
    [InlineData("<https://ghe.example.com/api/v3/repositories/1/pulls?per_page=100&page=2>;rel=next", "https://ghe.example.com/api/v3/repositories/1/pulls?per_page=100&page=2")]
    [InlineData("<https://api.github.com/r?page=2>; rel=\"next last\"", "https://api.github.com/r?page=2")]
    public void Find_NextAmongOtherRelations_ReturnsIt(string header, string expected) =>
        LinkHeader.Find([header], "next").ShouldBe(new Uri(expected));

    [Theory]
    [InlineData("<https://api.github.com/r?page=1>; rel=\"prev\", <https://api.github.com/r?page=1>; rel=\"first\"")]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("<relative/path>; rel=\"next\"")]
    public void Find_NoAbsoluteNext_ReturnsNull(string header) =>
        LinkHeader.Find([header], "next").ShouldBeNull();
}
