using DeployGuard.GitHub.Http;

namespace DeployGuard.Tests.GitHub;

public sealed class ETagCacheTests
{
    [Fact]
    public void Set_BeyondCapacity_EvictsTheLeastRecentlyUsed()
    {
        var cache = new ETagCache(2);
        var a = new Uri("https://api.github.com/a");
        var b = new Uri("https://api.github.com/b");
        var c = new Uri("https://api.github.com/c");
        cache.Set(a, new CachedResponse("\"a\"", [1], null));
        cache.Set(b, new CachedResponse("\"b\"", [2], null));
        cache.Get(a).ShouldNotBeNull();

        cache.Set(c, new CachedResponse("\"c\"", [3], null));

        cache.Count.ShouldBe(2);
        cache.Get(b).ShouldBeNull();
        cache.Get(a)!.ETag.ShouldBe("\"a\"");
        cache.Get(c)!.Body.ShouldBe(new byte[] { 3 });
    }

    [Fact]
    public void Set_ZeroCapacity_KeepsNothing()
    {
        var cache = new ETagCache(0);
        cache.Set(new Uri("https://api.github.com/a"), new CachedResponse("\"a\"", [1], null));

        cache.Count.ShouldBe(0);
    }
}
