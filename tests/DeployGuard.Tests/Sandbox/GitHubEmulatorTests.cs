using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using DeployGuard.Sandbox;
using DeployGuard.Tests.Support;

namespace DeployGuard.Tests.Sandbox;

public sealed class GitHubEmulatorTests
{
    private const string Repo = GitScenario.Repository;

    // ---- authentication and required headers --------------------------------------------------

    [Fact]
    public async Task Authorization_MissingOrWrong_Answers401WithGitHubErrorShape()
    {
        await using var emulator = await StartAsync();
        using var anonymous = SandboxHttp.Client(emulator, token: null);
        using var wrong = SandboxHttp.Client(emulator, token: "ghp_wrong");

        using var missing = await anonymous.GetAsync("rate_limit");
        using var bad = await wrong.GetAsync("rate_limit");

        missing.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await missing.JsonAsync())["message"]!.GetValue<string>().ShouldBe("Requires authentication");
        bad.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var body = await bad.JsonAsync();
        body["message"]!.GetValue<string>().ShouldBe("Bad credentials");
        body["documentation_url"]!.GetValue<string>().ShouldStartWith("https://docs.github.com/");
        bad.IntHeader("x-ratelimit-limit").ShouldBe(60, "unauthenticated answers show GitHub's anonymous limit");
    }

    [Theory]
    [InlineData("Bearer")]
    [InlineData("token")]
    public async Task Authorization_BothGitHubSchemes_AreAccepted(string scheme)
    {
        await using var emulator = await StartAsync();
        using var client = SandboxHttp.Client(emulator, scheme: scheme);

        using var response = await client.GetAsync("rate_limit");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task UserAgent_Missing_Answers403()
    {
        await using var emulator = await StartAsync();
        using var client = SandboxHttp.Client(emulator, userAgent: false);

        using var response = await client.GetAsync("rate_limit");

        response.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await response.Content.ReadAsStringAsync()).ShouldContain("User-Agent");
    }

    [Fact]
    public async Task ApiVersion_Sent_IsEchoedAndUnknownOnesAreRefused()
    {
        await using var emulator = await StartAsync();
        using var client = SandboxHttp.Client(emulator);

        using var plain = await client.GetAsync("rate_limit");
        using var versioned = await SendAsync(client, HttpMethod.Get, "rate_limit", ("X-GitHub-Api-Version", "2022-11-28"));
        using var unknown = await SendAsync(client, HttpMethod.Get, "rate_limit", ("X-GitHub-Api-Version", "2001-01-01"));

        plain.Header("x-github-api-version-selected").ShouldBeNull();
        versioned.Header("x-github-api-version-selected").ShouldBe("2022-11-28");
        unknown.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task ApiVersion_20260310_DropsTheFieldsGitHubRemovedThen()
    {
        using var git = GitScenario.Create();
        await using var emulator = await StartAsync();
        git.Seed(emulator.State);
        using var client = SandboxHttp.Client(emulator);

        var old = await (await client.GetAsync($"repos/{Repo}/pulls/1")).JsonAsync();
        using var newer = await SendAsync(client, HttpMethod.Get, $"repos/{Repo}/pulls/1", ("X-GitHub-Api-Version", "2026-03-10"));
        var rate = await (await SendAsync(client, HttpMethod.Get, "rate_limit", ("X-GitHub-Api-Version", "2026-03-10"))).JsonAsync();

        old.AsObject().ContainsKey("merge_commit_sha").ShouldBeTrue();
        (await newer.JsonAsync()).AsObject().ContainsKey("merge_commit_sha").ShouldBeFalse();
        rate.AsObject().ContainsKey("rate").ShouldBeFalse();
    }

    [Fact]
    public async Task UnknownRouteOrMethod_Answers404Json()
    {
        await using var emulator = await StartAsync();
        using var client = SandboxHttp.Client(emulator);

        using var unknown = await client.GetAsync("repos/acme/app/no-such-thing");
        using var wrongMethod = await client.DeleteAsync("rate_limit");

        unknown.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await unknown.JsonAsync())["message"]!.GetValue<string>().ShouldBe("Not Found");
        wrongMethod.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    // ---- pagination -----------------------------------------------------------------------------

    [Fact]
    public async Task Pagination_ThreePagesOfTwo_LinkHeadersWalkEveryPage()
    {
        await using var emulator = await StartAsync();
        emulator.State.AddPullRequest(Repo, new PullRequestSeed("carol", "f", Hashes.Sha1("h"), "main", Hashes.Sha1("b")));
        var ids = Enumerable.Range(0, 5).Select(i => emulator.State.AddReview(Repo, 1, new ReviewSeed($"user{i}", "COMMENTED", Hashes.Sha1("h")))).ToList();
        using var client = SandboxHttp.Client(emulator);

        using var first = await client.GetAsync($"repos/{Repo}/pulls/1/reviews?per_page=2");
        var firstLinks = first.Links();
        using var second = await client.GetAsync(firstLinks["next"]);
        var secondLinks = second.Links();
        using var third = await client.GetAsync(secondLinks["next"]);
        var thirdLinks = third.Links();

        var pageUrl = $"{emulator.ApiUrl}repos/{Repo}/pulls/1/reviews?per_page=2&page=";
        first.Header("Link").ShouldBe($"<{pageUrl}2>; rel=\"next\", <{pageUrl}3>; rel=\"last\"");
        secondLinks.ShouldBe(new Dictionary<string, string>
        {
            ["prev"] = pageUrl + "1", ["next"] = pageUrl + "3", ["last"] = pageUrl + "3", ["first"] = pageUrl + "1",
        });
        thirdLinks.Keys.ShouldBe(["prev", "first"], ignoreOrder: true);
        List<long> seen = [];
        foreach (var page in new[] { first, second, third })
        {
            seen.AddRange((await page.JsonAsync()).AsArray().Select(r => r!["id"]!.GetValue<long>()));
        }

        seen.ShouldBe(ids, "every review once, in the order they were added");
    }

    [Fact]
    public async Task Pagination_SinglePage_HasNoLinkHeaderAndDefaultPageSizeApplies()
    {
        await using var emulator = await StartAsync(new GitHubEmulatorOptions { DefaultPageSize = 2 });
        emulator.State.AddPullRequest(Repo, new PullRequestSeed("carol", "f", Hashes.Sha1("h"), "main", Hashes.Sha1("b")));
        for (var i = 0; i < 3; i++)
        {
            emulator.State.AddReview(Repo, 1, new ReviewSeed($"user{i}", "APPROVED", Hashes.Sha1("h")));
        }

        using var client = SandboxHttp.Client(emulator);

        using var defaulted = await client.GetAsync($"repos/{Repo}/pulls/1/reviews");
        using var all = await client.GetAsync($"repos/{Repo}/pulls/1/reviews?per_page=1000");

        (await defaulted.JsonAsync()).AsArray().Count.ShouldBe(2);
        defaulted.Links()["next"].ShouldEndWith("reviews?page=2");
        (await all.JsonAsync()).AsArray().Count.ShouldBe(3);
        all.Header("Link").ShouldBeNull();
    }

    // ---- conditional requests and rate limits ---------------------------------------------------

    [Fact]
    public async Task ETag_MatchingIfNoneMatch_Answers304WithoutBodyAndCostsNothing()
    {
        await using var emulator = await StartAsync();
        emulator.State.SetPermission(Repo, "bob", "write");
        using var client = SandboxHttp.Client(emulator);
        var path = $"repos/{Repo}/collaborators/bob/permission";

        using var first = await client.GetAsync(path);
        var etag = first.Headers.ETag!.ToString();
        using var second = await SendAsync(client, HttpMethod.Get, path, ("If-None-Match", etag));
        using var stale = await SendAsync(client, HttpMethod.Get, path, ("If-None-Match", "W/\"0000\""));

        etag.ShouldStartWith("W/\"");
        second.StatusCode.ShouldBe(HttpStatusCode.NotModified);
        (await second.Content.ReadAsByteArrayAsync()).ShouldBeEmpty();
        second.IntHeader("x-ratelimit-remaining").ShouldBe(first.IntHeader("x-ratelimit-remaining"), "a 304 does not count");
        stale.StatusCode.ShouldBe(HttpStatusCode.OK);
        stale.IntHeader("x-ratelimit-remaining").ShouldBe(first.IntHeader("x-ratelimit-remaining") - 1);
        emulator.Requests.Select(r => r.IfNoneMatch).ShouldBe([null, etag, "W/\"0000\""]);
    }

    [Fact]
    public async Task ETag_ChangesWhenTheResourceChanges()
    {
        await using var emulator = await StartAsync();
        emulator.State.SetPermission(Repo, "bob", "write");
        using var client = SandboxHttp.Client(emulator);
        var path = $"repos/{Repo}/collaborators/bob/permission";
        using var before = await client.GetAsync(path);

        emulator.State.SetPermission(Repo, "bob", "admin");
        using var after = await SendAsync(client, HttpMethod.Get, path, ("If-None-Match", before.Headers.ETag!.ToString()));

        after.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await after.JsonAsync())["permission"]!.GetValue<string>().ShouldBe("admin");
    }

    [Fact]
    public async Task RateLimitHeaders_EveryAnswer_CountDownPerToken()
    {
        var clock = new ManualClock(DateTimeOffset.Parse("2026-05-01T10:00:00Z", CultureInfo.InvariantCulture));
        await using var emulator = await StartAsync(new GitHubEmulatorOptions { TimeProvider = clock });
        emulator.State.AddToken("ghp_other", "someone");
        using var client = SandboxHttp.Client(emulator);
        using var other = SandboxHttp.Client(emulator, token: "ghp_other");

        using var first = await client.GetAsync($"repos/{Repo}/pulls/1");
        using var second = await client.GetAsync($"repos/{Repo}/pulls/2");
        using var otherFirst = await other.GetAsync($"repos/{Repo}/pulls/1");

        first.StatusCode.ShouldBe(HttpStatusCode.NotFound, "a 404 still counts, and still carries the headers");
        first.IntHeader("x-ratelimit-limit").ShouldBe(5000);
        first.IntHeader("x-ratelimit-remaining").ShouldBe(4999);
        first.IntHeader("x-ratelimit-used").ShouldBe(1);
        first.Header("x-ratelimit-resource").ShouldBe("core");
        first.Header("x-ratelimit-reset").ShouldBe(clock.GetUtcNow().AddHours(1).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
        second.IntHeader("x-ratelimit-remaining").ShouldBe(4998);
        second.IntHeader("x-ratelimit-used").ShouldBe(2);
        otherFirst.IntHeader("x-ratelimit-remaining").ShouldBe(4999, "each token has its own budget");
    }

    [Fact]
    public async Task RateLimit_Exhausted_Answers403UntilTheWindowResets()
    {
        var clock = new ManualClock(DateTimeOffset.Parse("2026-05-01T10:00:00Z", CultureInfo.InvariantCulture));
        await using var emulator = await StartAsync(new GitHubEmulatorOptions { TimeProvider = clock, RateLimit = 2 });
        emulator.State.SetPermission(Repo, "bob", "read");
        using var client = SandboxHttp.Client(emulator);
        var path = $"repos/{Repo}/collaborators/bob/permission";

        (await client.GetAsync(path)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.GetAsync(path)).StatusCode.ShouldBe(HttpStatusCode.OK);
        using var limited = await client.GetAsync(path);
        using var status = await client.GetAsync("rate_limit");
        clock.Advance(TimeSpan.FromHours(1));
        using var afterReset = await client.GetAsync(path);

        limited.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        limited.IntHeader("x-ratelimit-remaining").ShouldBe(0);
        limited.IntHeader("x-ratelimit-used").ShouldBe(2);
        (await limited.JsonAsync())["message"]!.GetValue<string>().ShouldStartWith("API rate limit exceeded");
        status.StatusCode.ShouldBe(HttpStatusCode.OK, "GET /rate_limit answers even when the budget is spent");
        (await status.JsonAsync())["resources"]!["core"]!["remaining"]!.GetValue<int>().ShouldBe(0);
        afterReset.StatusCode.ShouldBe(HttpStatusCode.OK);
        afterReset.IntHeader("x-ratelimit-remaining").ShouldBe(1);
    }

    [Fact]
    public async Task RateLimit_ConcurrentRequests_NeverOverspend()
    {
        await using var emulator = await StartAsync(new GitHubEmulatorOptions { RateLimit = 10 });
        emulator.State.SetPermission(Repo, "bob", "read");
        using var client = SandboxHttp.Client(emulator);

        var responses = await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => client.GetAsync($"repos/{Repo}/collaborators/bob/permission")));

        responses.Count(r => r.StatusCode == HttpStatusCode.OK).ShouldBe(10);
        responses.Count(r => r.StatusCode == HttpStatusCode.Forbidden).ShouldBe(20);
        emulator.Requests.Count.ShouldBe(30);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task RateLimitEndpoint_IsFreeAndShowsTheCoreBudget()
    {
        await using var emulator = await StartAsync(new GitHubEmulatorOptions { RateLimit = 100 });
        using var client = SandboxHttp.Client(emulator);
        (await client.GetAsync($"repos/{Repo}/pulls/1")).Dispose();

        var first = await (await client.GetAsync("rate_limit")).JsonAsync();
        var second = await (await client.GetAsync("rate_limit")).JsonAsync();

        first["resources"]!["core"]!["used"]!.GetValue<int>().ShouldBe(1);
        second["resources"]!["core"]!["remaining"]!.GetValue<int>().ShouldBe(99, "asking costs nothing");
        second["rate"]!["limit"]!.GetValue<int>().ShouldBe(100);
    }

    // ---- faults ---------------------------------------------------------------------------------

    [Fact]
    public async Task Faults_PrimaryRateLimit_Answers403WithResetAndRemainingZero()
    {
        await using var emulator = await StartAsync();
        var reset = DateTimeOffset.Parse("2026-05-01T11:00:00Z", CultureInfo.InvariantCulture);
        emulator.Faults.Add("GET", $"/repos/{Repo}/pulls", EmulatorFault.PrimaryRateLimit(reset));
        using var client = SandboxHttp.Client(emulator);

        using var faulted = await client.GetAsync($"repos/{Repo}/pulls/1");
        using var next = await client.GetAsync($"repos/{Repo}/pulls/1");

        faulted.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        faulted.IntHeader("x-ratelimit-remaining").ShouldBe(0);
        faulted.Header("x-ratelimit-reset").ShouldBe(reset.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
        (await faulted.JsonAsync())["message"]!.GetValue<string>().ShouldBe("API rate limit exceeded for user ID 1.");
        next.StatusCode.ShouldBe(HttpStatusCode.NotFound, "the fault was used up; normal handling resumes");
    }

    [Fact]
    public async Task Faults_SecondaryRateLimit_Answers403WithRetryAfter()
    {
        await using var emulator = await StartAsync();
        emulator.Faults.Add("GET", "/rate_limit", EmulatorFault.SecondaryRateLimit(17));
        using var client = SandboxHttp.Client(emulator);

        using var faulted = await client.GetAsync("rate_limit");

        faulted.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        faulted.Headers.RetryAfter!.Delta.ShouldBe(TimeSpan.FromSeconds(17));
        faulted.IntHeader("x-ratelimit-remaining").ShouldBeGreaterThan(0, "a secondary limit is not the hourly budget");
        (await faulted.JsonAsync())["message"]!.GetValue<string>().ShouldContain("secondary rate limit");
    }

    [Fact]
    public async Task Faults_TooManyRequests_Answers429WithRetryAfter()
    {
        await using var emulator = await StartAsync();
        emulator.Faults.Add("GET", "/rate_limit", EmulatorFault.TooManyRequests(3, times: 2));
        using var client = SandboxHttp.Client(emulator);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await client.GetAsync("rate_limit");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                response.Headers.RetryAfter!.Delta.ShouldBe(TimeSpan.FromSeconds(3));
            }
        }

        statuses.ShouldBe([HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests, HttpStatusCode.OK]);
        emulator.Requests.Select(r => r.StatusCode).ShouldBe([429, 429, 200]);
    }

    [Fact]
    public async Task Faults_MatchMethodAndPathPrefix_AndApplyBeforeAuthentication()
    {
        await using var emulator = await StartAsync();
        emulator.Faults.Add("POST", "/rate_limit", new EmulatorFault(500));
        emulator.Faults.Add("GET", $"/repos/{Repo}/pulls/1/reviews", new EmulatorFault(502) { Body = "<html>bad gateway</html>", Headers = new Dictionary<string, string> { ["Content-Type"] = "text/html" } });
        using var anonymous = SandboxHttp.Client(emulator, token: null);
        using var client = SandboxHttp.Client(emulator);

        using var otherPath = await client.GetAsync($"repos/{Repo}/pulls/1");
        using var otherMethod = await client.GetAsync("rate_limit");
        using var faulted = await anonymous.GetAsync($"repos/{Repo}/pulls/1/reviews");

        otherPath.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        otherMethod.StatusCode.ShouldBe(HttpStatusCode.OK);
        faulted.StatusCode.ShouldBe(HttpStatusCode.BadGateway);
        faulted.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        (await faulted.Content.ReadAsStringAsync()).ShouldBe("<html>bad gateway</html>");
    }

    [Fact]
    public async Task Faults_Delay_HoldsTheAnswerAndClearRemovesFaults()
    {
        await using var emulator = await StartAsync();
        emulator.Faults.Add("*", "/", new EmulatorFault(503, Times: 5) { Delay = TimeSpan.FromMilliseconds(300) });
        using var client = SandboxHttp.Client(emulator);

        var watch = Stopwatch.StartNew();
        using var slow = await client.GetAsync("rate_limit");
        var elapsed = watch.Elapsed;
        emulator.Faults.Clear();
        using var cleared = await client.GetAsync("rate_limit");

        slow.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        elapsed.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(280));
        cleared.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Faults_ClientGivesUpDuringDelay_IsRecordedAs499()
    {
        await using var emulator = await StartAsync();
        emulator.Faults.Add("GET", "/rate_limit", new EmulatorFault(0) { Delay = TimeSpan.FromSeconds(30) });
        using var client = SandboxHttp.Client(emulator);
        client.Timeout = TimeSpan.FromMilliseconds(300);

        await Should.ThrowAsync<TaskCanceledException>(() => client.GetAsync("rate_limit"));
        var recorded = await WaitForAsync(() => emulator.Requests.SingleOrDefault(r => r.StatusCode == 499));

        recorded.ShouldNotBeNull().PathAndQuery.ShouldBe("/rate_limit");
    }

    // ---- path prefix and request log ------------------------------------------------------------

    [Fact]
    public async Task PathPrefix_ApiV3_ServesUnderThePrefixOnly()
    {
        await using var emulator = await StartAsync(new GitHubEmulatorOptions { PathPrefix = "/api/v3" });
        emulator.State.AddPullRequest(Repo, new PullRequestSeed("carol", "f", Hashes.Sha1("h"), "main", Hashes.Sha1("b")));
        for (var i = 0; i < 3; i++)
        {
            emulator.State.AddReview(Repo, 1, new ReviewSeed($"user{i}", "APPROVED", Hashes.Sha1("h")));
        }

        emulator.Faults.Add("GET", "/rate_limit", new EmulatorFault(500));
        using var client = SandboxHttp.Client(emulator);
        var origin = emulator.ApiUrl.GetLeftPart(UriPartial.Authority);

        using var pull = await client.GetAsync($"repos/{Repo}/pulls/1");
        using var reviews = await client.GetAsync($"repos/{Repo}/pulls/1/reviews?per_page=2");
        using var faulted = await client.GetAsync("rate_limit");
        using var unprefixed = await client.GetAsync($"{origin}/repos/{Repo}/pulls/1");

        emulator.ApiUrl.AbsolutePath.ShouldBe("/api/v3/");
        pull.StatusCode.ShouldBe(HttpStatusCode.OK);
        var body = await pull.JsonAsync();
        body["url"]!.GetValue<string>().ShouldBe($"{origin}/api/v3/repos/{Repo}/pulls/1");
        body["html_url"]!.GetValue<string>().ShouldBe($"{origin}/{Repo}/pull/1");
        reviews.Links()["next"].ShouldBe($"{origin}/api/v3/repos/{Repo}/pulls/1/reviews?per_page=2&page=2");
        faulted.StatusCode.ShouldBe(HttpStatusCode.InternalServerError, "fault paths are matched after the prefix");
        unprefixed.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        emulator.Requests[0].PathAndQuery.ShouldBe($"/api/v3/repos/{Repo}/pulls/1");
    }

    [Fact]
    public async Task Requests_RecordsEveryRequestInOrder_AndClearEmptiesTheLog()
    {
        await using var emulator = await StartAsync();
        using var client = SandboxHttp.Client(emulator);
        using var anonymous = SandboxHttp.Client(emulator, token: null);

        (await client.GetAsync("rate_limit?x=1")).Dispose();
        (await anonymous.GetAsync($"repos/{Repo}/pulls/7")).Dispose();
        var recorded = emulator.Requests;
        emulator.ClearRequests();

        recorded.ShouldBe(
        [
            new RecordedRequest("GET", "/rate_limit?x=1", 200, true, null),
            new RecordedRequest("GET", $"/repos/{Repo}/pulls/7", 401, false, null),
        ]);
        emulator.Requests.ShouldBeEmpty();
    }

    // ---- pull requests and reviews --------------------------------------------------------------

    [Fact]
    public async Task PullRequest_Seeded_IsServedWithMergeStateLabelsAndUser()
    {
        using var git = GitScenario.Create();
        await using var emulator = await StartAsync();
        git.Seed(emulator.State);
        using var client = SandboxHttp.Client(emulator);

        var merged = await (await client.GetAsync($"repos/{Repo}/pulls/1")).JsonAsync();
        var open = await (await client.GetAsync($"repos/{Repo}/pulls/3")).JsonAsync();
        using var missing = await client.GetAsync($"repos/{Repo}/pulls/99");

        merged["number"]!.GetValue<int>().ShouldBe(1);
        merged["state"]!.GetValue<string>().ShouldBe("closed");
        merged["merged"]!.GetValue<bool>().ShouldBeTrue();
        merged["merged_at"]!.GetValue<string>().ShouldNotBeNullOrEmpty();
        merged["merge_commit_sha"]!.GetValue<string>().ShouldBe(git.Merge);
        merged["head"]!["sha"]!.GetValue<string>().ShouldBe(git.Feature2);
        merged["base"]!["ref"]!.GetValue<string>().ShouldBe("main");
        merged["base"]!["repo"]!["full_name"]!.GetValue<string>().ShouldBe(Repo);
        merged["user"]!["login"]!.GetValue<string>().ShouldBe("carol");
        merged["labels"]!.AsArray().Select(l => l!["name"]!.GetValue<string>()).ShouldBe(["deploy"]);
        merged["commits"]!.GetValue<int>().ShouldBe(2);
        open["state"]!.GetValue<string>().ShouldBe("open");
        open["merged"]!.GetValue<bool>().ShouldBeFalse();
        open["merged_at"].ShouldBeNull();
        open["merge_commit_sha"].ShouldBeNull();
        missing.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task SetPullRequest_MergingLater_IsVisibleAtOnce()
    {
        var clock = new ManualClock(DateTimeOffset.Parse("2026-05-01T10:00:00Z", CultureInfo.InvariantCulture));
        await using var emulator = await StartAsync(new GitHubEmulatorOptions { TimeProvider = clock });
        var number = emulator.State.AddPullRequest(Repo, new PullRequestSeed("carol", "f", Hashes.Sha1("h"), "main", Hashes.Sha1("b")) { Number = 42 });
        using var client = SandboxHttp.Client(emulator);
        var before = await (await client.GetAsync($"repos/{Repo}/pulls/42")).JsonAsync();

        clock.Advance(TimeSpan.FromMinutes(5));
        emulator.State.SetPullRequest(Repo, number, pr => pr with { Merged = true, MergeCommitSha = Hashes.Sha1("m") });
        var after = await (await client.GetAsync($"repos/{Repo}/pulls/42")).JsonAsync();

        number.ShouldBe(42);
        before["merged"]!.GetValue<bool>().ShouldBeFalse();
        after["merged"]!.GetValue<bool>().ShouldBeTrue();
        after["state"]!.GetValue<string>().ShouldBe("closed");
        after["merged_at"]!.GetValue<string>().ShouldBe("2026-05-01T10:05:00Z");
        after["merge_commit_sha"]!.GetValue<string>().ShouldBe(Hashes.Sha1("m"));
        emulator.State.AddPullRequest(Repo, new PullRequestSeed("carol", "g", Hashes.Sha1("h"), "main", Hashes.Sha1("b"))).ShouldBe(43);
    }

    [Fact]
    public async Task Reviews_ChronologicalWithPendingHiddenFromOthers()
    {
        await using var emulator = await StartAsync();
        emulator.State.AddPullRequest(Repo, new PullRequestSeed("carol", "f", Hashes.Sha1("h"), "main", Hashes.Sha1("b")));
        var submitted = DateTimeOffset.Parse("2026-04-01T08:00:00Z", CultureInfo.InvariantCulture);
        emulator.State.AddReview(Repo, 1, new ReviewSeed("bob", "CHANGES_REQUESTED", Hashes.Sha1("old")) { SubmittedAt = submitted });
        emulator.State.AddReview(Repo, 1, new ReviewSeed("bob", "APPROVED", Hashes.Sha1("h")));
        emulator.State.AddReview(Repo, 1, new ReviewSeed("eve", "PENDING", Hashes.Sha1("h")));
        emulator.State.AddToken("ghp_eve", "eve");
        using var client = SandboxHttp.Client(emulator);
        using var eve = SandboxHttp.Client(emulator, token: "ghp_eve");

        var reviews = (await (await client.GetAsync($"repos/{Repo}/pulls/1/reviews")).JsonAsync()).AsArray();
        var evesView = (await (await eve.GetAsync($"repos/{Repo}/pulls/1/reviews")).JsonAsync()).AsArray();

        reviews.Select(r => r!["state"]!.GetValue<string>()).ShouldBe(["CHANGES_REQUESTED", "APPROVED"]);
        reviews[0]!["submitted_at"]!.GetValue<string>().ShouldBe("2026-04-01T08:00:00Z");
        reviews[0]!["commit_id"]!.GetValue<string>().ShouldBe(Hashes.Sha1("old"));
        reviews[1]!["user"]!["login"]!.GetValue<string>().ShouldBe("bob");
        evesView.Count.ShouldBe(3);
        evesView[2]!.AsObject().ContainsKey("submitted_at").ShouldBeFalse();
    }

    [Fact]
    public async Task Collaborators_Permission_MapsRolesToLegacyPermissionAnd404WhenNeverSet()
    {
        await using var emulator = await StartAsync();
        emulator.State.SetPermission(Repo, "mia", "maintain");
        emulator.State.SetPermission(Repo, "tom", "triage");
        using var client = SandboxHttp.Client(emulator);

        var mia = await (await client.GetAsync($"repos/{Repo}/collaborators/mia/permission")).JsonAsync();
        var tom = await (await client.GetAsync($"repos/{Repo}/collaborators/tom/permission")).JsonAsync();
        using var stranger = await client.GetAsync($"repos/{Repo}/collaborators/stranger/permission");

        (mia["permission"]!.GetValue<string>(), mia["role_name"]!.GetValue<string>()).ShouldBe(("write", "maintain"));
        (tom["permission"]!.GetValue<string>(), tom["role_name"]!.GetValue<string>()).ShouldBe(("read", "triage"));
        mia["user"]!["login"]!.GetValue<string>().ShouldBe("mia");
        stranger.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Teams_Membership_AnswersRoleAndStateOr404()
    {
        await using var emulator = await StartAsync();
        emulator.State.AddTeamMember("acme", "ops", "olga", role: "maintainer");
        emulator.State.AddTeamMember("acme", "ops", "paul", state: "pending");
        using var client = SandboxHttp.Client(emulator);

        var olga = await (await client.GetAsync("orgs/acme/teams/ops/memberships/olga")).JsonAsync();
        var paul = await (await client.GetAsync("orgs/ACME/teams/ops/memberships/Paul")).JsonAsync();
        using var outsider = await client.GetAsync("orgs/acme/teams/ops/memberships/zed");
        using var otherTeam = await client.GetAsync("orgs/acme/teams/dev/memberships/olga");

        (olga["role"]!.GetValue<string>(), olga["state"]!.GetValue<string>()).ShouldBe(("maintainer", "active"));
        (paul["role"]!.GetValue<string>(), paul["state"]!.GetValue<string>()).ShouldBe(("member", "pending"));
        outsider.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        otherTeam.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    // ---- git-backed endpoints -------------------------------------------------------------------

    [Theory]
    [InlineData("Merge", 1)]      // the merge commit of "Create a merge commit"
    [InlineData("Squash", 2)]     // merge_commit_sha of "Squash and merge"
    [InlineData("Feature1", 1)]   // a commit inside the pull request
    [InlineData("Topic1", 2)]
    [InlineData("Wip1", 3)]       // the head of an open pull request
    public async Task PullsForCommit_FindsThePullRequestTheCommitBelongsTo(string commit, int expected)
    {
        using var git = GitScenario.Create();
        await using var emulator = await StartAsync();
        git.Seed(emulator.State);
        using var client = SandboxHttp.Client(emulator);
        var sha = (string)typeof(GitScenario).GetProperty(commit)!.GetValue(git)!;

        var pulls = (await (await client.GetAsync($"repos/{Repo}/commits/{sha}/pulls")).JsonAsync()).AsArray();

        pulls.Select(p => p!["number"]!.GetValue<int>()).ShouldBe([expected]);
    }

    [Fact]
    public async Task PullsForCommit_CommitOutsideEveryPullRequest_IsEmptyAndUnknownShaIs422()
    {
        using var git = GitScenario.Create();
        await using var emulator = await StartAsync();
        git.Seed(emulator.State);
        using var client = SandboxHttp.Client(emulator);

        var direct = (await (await client.GetAsync($"repos/{Repo}/commits/{git.MainMove}/pulls")).JsonAsync()).AsArray();
        var root = (await (await client.GetAsync($"repos/{Repo}/commits/{git.Root}/pulls")).JsonAsync()).AsArray();
        using var unknown = await client.GetAsync($"repos/{Repo}/commits/{Hashes.Sha1("nowhere")}/pulls");

        direct.ShouldBeEmpty();
        root.ShouldBeEmpty();
        unknown.StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task GitEndpoints_RepositoryWithoutGit_Answer409LikeAnEmptyRepository()
    {
        await using var emulator = await StartAsync();
        emulator.State.AddPullRequest(Repo, new PullRequestSeed("carol", "f", Hashes.Sha1("h"), "main", Hashes.Sha1("b")));
        using var client = SandboxHttp.Client(emulator);

        using var commits = await client.GetAsync($"repos/{Repo}/pulls/1/commits");
        using var pull = await client.GetAsync($"repos/{Repo}/pulls/1");
        using var unknownRepo = await client.GetAsync("repos/acme/none/pulls/1/commits");

        commits.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await commits.JsonAsync())["message"]!.GetValue<string>().ShouldBe("Git Repository is empty.");
        pull.StatusCode.ShouldBe(HttpStatusCode.OK);
        unknownRepo.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task PullRequestCommits_SeededShaMissingFromGit_Answers500SayingSo()
    {
        using var git = GitScenario.Create();
        await using var emulator = await StartAsync();
        emulator.State.AddRepository(Repo, git.Repo.Path);
        emulator.State.AddPullRequest(Repo, new PullRequestSeed("carol", "f", Hashes.Sha1("not in git"), "main", git.Root));
        using var client = SandboxHttp.Client(emulator);

        using var response = await client.GetAsync($"repos/{Repo}/pulls/1/commits");

        response.StatusCode.ShouldBe(HttpStatusCode.InternalServerError);
        (await response.JsonAsync())["message"]!.GetValue<string>().ShouldStartWith("emulator: ");
        emulator.Requests.Single().StatusCode.ShouldBe(500);
    }

    [Fact]
    public async Task PullRequestCommits_ComputedFromGit_OldestFirstWithMappedAuthors()
    {
        using var git = GitScenario.Create();
        await using var emulator = await StartAsync();
        git.Seed(emulator.State);
        using var client = SandboxHttp.Client(emulator);

        var commits = (await (await client.GetAsync($"repos/{Repo}/pulls/1/commits")).JsonAsync()).AsArray();

        commits.Select(c => c!["sha"]!.GetValue<string>()).ShouldBe([git.Feature1, git.Feature2]);
        var first = commits[0]!;
        first["commit"]!["message"]!.GetValue<string>().ShouldBe("feature one");
        first["commit"]!["author"]!["email"]!.GetValue<string>().ShouldBe("author@example.com");
        first["commit"]!["author"]!["name"]!.GetValue<string>().ShouldBe("Test Author");
        first["commit"]!["committer"]!["email"]!.GetValue<string>().ShouldBe("committer@example.com");
        first["commit"]!["author"]!["date"]!.GetValue<string>().ShouldMatch(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$");
        first["author"]!["login"]!.GetValue<string>().ShouldBe("alice");
        first["committer"].ShouldBeNull("committer@example.com is not mapped to a GitHub user");
        first["parents"]!.AsArray().Select(p => p!["sha"]!.GetValue<string>()).ShouldBe([git.Root]);
    }

    [Fact]
    public async Task PullRequestCommits_Paginated_FollowsLinks()
    {
        using var repo = TestRepo.Create();
        var root = repo.CommitFiles("root", ("a", "0"));
        var shas = Enumerable.Range(1, 5).Select(i => repo.CommitFiles($"c{i}", ("a", i.ToString(CultureInfo.InvariantCulture)))).ToList();
        await using var emulator = await StartAsync();
        emulator.State.AddRepository(Repo, repo.Path);
        emulator.State.AddPullRequest(Repo, new PullRequestSeed("carol", "main", shas[^1], "base", root));
        using var client = SandboxHttp.Client(emulator);

        List<string> seen = [];
        string? next = $"repos/{Repo}/pulls/1/commits?per_page=2";
        while (next is not null)
        {
            using var page = await client.GetAsync(next);
            seen.AddRange((await page.JsonAsync()).AsArray().Select(c => c!["sha"]!.GetValue<string>()));
            next = page.Links().GetValueOrDefault("next");
        }

        seen.ShouldBe(shas);
    }

    [Theory]
    [InlineData("Root", "Feature2", "ahead", 2, 0)]
    [InlineData("Feature2", "Root", "behind", 0, 2)]
    [InlineData("MainMove", "Feature2", "diverged", 2, 1)]
    [InlineData("Merge", "Merge", "identical", 0, 0)]
    public async Task Compare_Shas_StatusAndCountsFromGit(string @base, string head, string status, int ahead, int behind)
    {
        using var git = GitScenario.Create();
        await using var emulator = await StartAsync();
        git.Seed(emulator.State);
        using var client = SandboxHttp.Client(emulator);
        string Sha(string name) => (string)typeof(GitScenario).GetProperty(name)!.GetValue(git)!;

        var comparison = await (await client.GetAsync($"repos/{Repo}/compare/{Sha(@base)}...{Sha(head)}")).JsonAsync();

        comparison["status"]!.GetValue<string>().ShouldBe(status);
        comparison["ahead_by"]!.GetValue<int>().ShouldBe(ahead);
        comparison["behind_by"]!.GetValue<int>().ShouldBe(behind);
        comparison["total_commits"]!.GetValue<int>().ShouldBe(ahead);
        comparison["commits"]!.AsArray().Count.ShouldBe(ahead);
        comparison["base_commit"]!["sha"]!.GetValue<string>().ShouldBe(Sha(@base));
    }

    [Fact]
    public async Task Compare_BranchNames_ListHeadsCommitsOldestFirstWithMergeBase()
    {
        using var git = GitScenario.Create();
        await using var emulator = await StartAsync();
        git.Seed(emulator.State);
        using var client = SandboxHttp.Client(emulator);

        var diverged = await (await client.GetAsync($"repos/{Repo}/compare/{git.MainMove}...feature")).JsonAsync();
        var released = await (await client.GetAsync($"repos/{Repo}/compare/main...feature")).JsonAsync();
        using var unknown = await client.GetAsync($"repos/{Repo}/compare/main...no-such-branch");
        using var malformed = await client.GetAsync($"repos/{Repo}/compare/main");

        diverged["commits"]!.AsArray().Select(c => c!["sha"]!.GetValue<string>()).ShouldBe([git.Feature1, git.Feature2]);
        diverged["merge_base_commit"]!["sha"]!.GetValue<string>().ShouldBe(git.Root);
        diverged["commits"]![0]!["author"]!["login"]!.GetValue<string>().ShouldBe("alice");
        released["status"]!.GetValue<string>().ShouldBe("behind", "feature is merged: it is on the release branch");
        released["behind_by"]!.GetValue<int>().ShouldBe(3, "mainMove, the merge and the squash: what main has beyond feature");
        unknown.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        malformed.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    // ---- GitHub App installation tokens ---------------------------------------------------------

    [Fact]
    public async Task InstallationToken_ValidJwt_MintsATokenTheApiAcceptsUntilItExpires()
    {
        var clock = new ManualClock(DateTimeOffset.Parse("2026-05-01T10:00:00Z", CultureInfo.InvariantCulture));
        await using var emulator = await StartAsync(new GitHubEmulatorOptions { TimeProvider = clock, InstallationTokenLifetime = TimeSpan.FromMinutes(30) });
        using var key = RSA.Create(2048);
        emulator.State.RegisterAppInstallation(4242, key.ExportSubjectPublicKeyInfoPem(), 99);
        var now = clock.GetUtcNow();
        using var app = SandboxHttp.Client(emulator, token: AppJwtSigner.Sign(key, 4242, now.AddSeconds(-60), now.AddMinutes(9)));

        using var minted = await app.PostAsync("app/installations/99/access_tokens", null);
        var body = await minted.JsonAsync();
        var token = body["token"]!.GetValue<string>();
        using var withToken = SandboxHttp.Client(emulator, token: token, scheme: "token");
        using var accepted = await withToken.GetAsync("rate_limit");
        clock.Advance(TimeSpan.FromMinutes(31));
        using var expired = await withToken.GetAsync("rate_limit");

        minted.StatusCode.ShouldBe(HttpStatusCode.Created);
        token.ShouldMatch("^ghs_[A-Za-z0-9]{36}$");
        body["expires_at"]!.GetValue<string>().ShouldBe("2026-05-01T10:30:00Z");
        body["permissions"]!.AsObject().Count.ShouldBeGreaterThan(0);
        body["repository_selection"]!.GetValue<string>().ShouldBe("all");
        accepted.StatusCode.ShouldBe(HttpStatusCode.OK);
        expired.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task InstallationToken_IssuerAsString_IsAccepted()
    {
        await using var emulator = await StartAsync();
        using var key = RSA.Create(2048);
        emulator.State.RegisterAppInstallation(7, key.ExportSubjectPublicKeyInfoPem(), 8);
        var now = DateTimeOffset.UtcNow;
        using var app = SandboxHttp.Client(emulator, token: AppJwtSigner.Sign(key, "7", now.AddSeconds(-30), now.AddMinutes(5)));

        using var minted = await app.PostAsync("app/installations/8/access_tokens", new StringContent("""{"permissions":{"contents":"read"}}""", Encoding.UTF8, "application/json"));

        minted.StatusCode.ShouldBe(HttpStatusCode.Created);
        (await minted.JsonAsync())["permissions"]!.ToJsonString().ShouldBe("""{"contents":"read"}""");
    }

    public static TheoryData<string, int> RefusedJwts => new()
    {
        { "wrong key", 401 },
        { "expired", 401 },
        { "expiry more than 10 minutes after issue", 401 },
        { "issued in the future", 401 },
        { "other app", 401 },
        { "not a jwt", 401 },
        { "unknown installation", 404 },
    };

    [Theory]
    [MemberData(nameof(RefusedJwts))]
    public async Task InstallationToken_BadJwt_IsRefused(string case_, int expectedStatus)
    {
        var clock = new ManualClock(DateTimeOffset.Parse("2026-05-01T10:00:00Z", CultureInfo.InvariantCulture));
        await using var emulator = await StartAsync(new GitHubEmulatorOptions { TimeProvider = clock });
        using var key = RSA.Create(2048);
        using var otherKey = RSA.Create(2048);
        emulator.State.RegisterAppInstallation(4242, key.ExportSubjectPublicKeyInfoPem(), 99);
        var now = clock.GetUtcNow();
        var (jwt, installation) = case_ switch
        {
            "wrong key" => (AppJwtSigner.Sign(otherKey, 4242, now.AddSeconds(-60), now.AddMinutes(9)), 99),
            "expired" => (AppJwtSigner.Sign(key, 4242, now.AddMinutes(-11), now.AddMinutes(-1)), 99),
            "expiry more than 10 minutes after issue" => (AppJwtSigner.Sign(key, 4242, now.AddSeconds(-60), now.AddMinutes(15)), 99),
            "issued in the future" => (AppJwtSigner.Sign(key, 4242, now.AddMinutes(2), now.AddMinutes(5)), 99),
            "other app" => (AppJwtSigner.Sign(key, 1, now.AddSeconds(-60), now.AddMinutes(9)), 99),
            "not a jwt" => ("ghp_test_token", 99),
            "unknown installation" => (AppJwtSigner.Sign(key, 4242, now.AddSeconds(-60), now.AddMinutes(9)), 12345),
            _ => throw new ArgumentOutOfRangeException(nameof(case_)),
        };
        using var app = SandboxHttp.Client(emulator, token: jwt);

        using var response = await app.PostAsync($"app/installations/{installation}/access_tokens", null);

        ((int)response.StatusCode).ShouldBe(expectedStatus);
        (await response.JsonAsync())["message"]!.GetValue<string>().ShouldNotBeNullOrEmpty();
    }

    // ---- lifecycle ------------------------------------------------------------------------------

    [Fact]
    public async Task StartAsync_InvalidOptions_ReportsEveryProblem()
    {
        var ex = await Should.ThrowAsync<ArgumentException>(() => GitHubEmulator.StartAsync(
            new GitHubEmulatorOptions { DefaultPageSize = 0, RateLimit = 0, InstallationTokenLifetime = TimeSpan.Zero }));

        ex.Message.ShouldContain("DefaultPageSize");
        ex.Message.ShouldContain("RateLimit");
        ex.Message.ShouldContain("InstallationTokenLifetime");
    }

    [Fact]
    public async Task DisposeAsync_StopsListening()
    {
        var emulator = await StartAsync();
        using var client = SandboxHttp.Client(emulator);
        (await client.GetAsync("rate_limit")).StatusCode.ShouldBe(HttpStatusCode.OK);
        emulator.ApiUrl.Host.ShouldBe("127.0.0.1");
        emulator.ApiUrl.ToString().ShouldEndWith("/");

        await emulator.DisposeAsync();
        await emulator.DisposeAsync();

        await Should.ThrowAsync<HttpRequestException>(() => client.GetAsync("rate_limit"));
    }

    [Fact]
    public async Task State_InvalidSeeds_AreRejectedAtOnce()
    {
        await using var emulator = await StartAsync();
        var state = emulator.State;

        Should.Throw<ArgumentException>(() => state.SetPermission(Repo, "bob", "owner"));
        Should.Throw<ArgumentException>(() => state.SetPermission("not-a-repo", "bob", "read"));
        Should.Throw<InvalidOperationException>(() => state.AddReview(Repo, 5, new ReviewSeed("bob", "APPROVED", Hashes.Sha1("x"))));
        state.AddPullRequest(Repo, new PullRequestSeed("carol", "f", Hashes.Sha1("h"), "main", Hashes.Sha1("b")));
        Should.Throw<ArgumentException>(() => state.AddReview(Repo, 1, new ReviewSeed("bob", "APPROVE", Hashes.Sha1("x"))));
        Should.Throw<InvalidOperationException>(() => state.AddPullRequest(Repo, new PullRequestSeed("carol", "f", Hashes.Sha1("h"), "main", Hashes.Sha1("b")) { Number = 1 }));
        Should.Throw<DirectoryNotFoundException>(() => state.AddRepository(Repo, "/nonexistent/dir"));
    }

    // ---- helpers --------------------------------------------------------------------------------

    private static async Task<GitHubEmulator> StartAsync(GitHubEmulatorOptions? options = null)
    {
        var emulator = await GitHubEmulator.StartAsync(options);
        emulator.State.AddToken(SandboxHttp.Token);
        return emulator;
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method, path);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await client.SendAsync(request);
    }

    private static async Task<T?> WaitForAsync<T>(Func<T?> probe)
        where T : class
    {
        for (var i = 0; i < 100; i++)
        {
            if (probe() is { } value)
            {
                return value;
            }

            await Task.Delay(50);
        }

        return null;
    }
}
