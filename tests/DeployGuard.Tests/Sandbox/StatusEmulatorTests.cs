using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using DeployGuard.Sandbox;
using DeployGuard.Tests.Support;

namespace DeployGuard.Tests.Sandbox;

/// <summary>
/// The emulator's commit endpoints: one commit (<c>commits/{ref}</c>), the combined status and the check runs of a
/// ref, all resolved through the real git repository of <see cref="GitScenario"/>; and <c>compare</c>'s relation of
/// two refs, which the release-branch check relies on.
/// </summary>
public sealed class StatusEmulatorTests : IAsyncLifetime
{
    private const string Repo = GitScenario.Repository;

    private GitScenario _git = null!;
    private GitHubEmulator _emulator = null!;
    private HttpClient _client = null!;

    private EmulatorState State => _emulator.State;

    public async Task InitializeAsync()
    {
        _git = GitScenario.Create();
        _git.Repo.Git("tag", "v1.0", _git.Merge);
        _git.Repo.Git("branch", "release/1.0", _git.MainMove);
        _emulator = await GitHubEmulator.StartAsync();
        _emulator.State.AddToken(SandboxHttp.Token);
        _git.Seed(_emulator.State);
        _client = SandboxHttp.Client(_emulator);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _emulator.DisposeAsync();
        _git.Dispose();
    }

    // ---- commits/{ref} ---------------------------------------------------------------------------

    [Theory]
    [InlineData("full sha", "Feature2")]
    [InlineData("abbreviated sha", "Feature2")]
    [InlineData("branch", "Feature2")]
    [InlineData("tag", "Merge")]
    [InlineData("branch with a slash", "MainMove")]
    public async Task GetCommit_AnyRefGitResolves_AnswersThatCommit(string refKind, string expected)
    {
        var @ref = refKind switch
        {
            "full sha" => _git.Feature2,
            "abbreviated sha" => _git.Feature2[..10],
            "branch" => "feature",
            "tag" => "v1.0",
            _ => "release/1.0",
        };

        using var response = await _client.GetAsync($"repos/{Repo}/commits/{@ref}");
        var commit = await response.JsonAsync();

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        commit["sha"]!.GetValue<string>().ShouldBe(Sha(expected));
        commit["html_url"]!.GetValue<string>().ShouldEndWith($"/{Repo}/commit/{Sha(expected)}");
    }

    [Fact]
    public async Task GetCommit_ShowsGitIdentitiesAndMapsOnlyKnownEmailsToUsers()
    {
        var commit = await (await _client.GetAsync($"repos/{Repo}/commits/{_git.Feature1}")).JsonAsync();

        commit["commit"]!["message"]!.GetValue<string>().ShouldBe("feature one");
        commit["commit"]!["author"]!["email"]!.GetValue<string>().ShouldBe("author@example.com");
        commit["commit"]!["committer"]!["email"]!.GetValue<string>().ShouldBe("committer@example.com");
        commit["author"]!["login"]!.GetValue<string>().ShouldBe("alice");
        commit["committer"].ShouldBeNull("committer@example.com is not mapped to a GitHub user");
        commit["parents"]!.AsArray().Select(p => p!["sha"]!.GetValue<string>()).ShouldBe([_git.Root]);
    }

    [Theory]
    [InlineData("unknown sha", HttpStatusCode.UnprocessableEntity)]
    [InlineData("unknown branch", HttpStatusCode.UnprocessableEntity)]
    [InlineData("unknown repository", HttpStatusCode.NotFound)]
    public async Task GetCommit_NothingToShow_AnswersAsGitHub(string @case, HttpStatusCode expected)
    {
        var unknownSha = Hashes.Sha1("never committed");
        var path = @case switch
        {
            "unknown sha" => $"repos/{Repo}/commits/{unknownSha}",
            "unknown branch" => $"repos/{Repo}/commits/no-such-branch",
            _ => $"repos/acme/nothing/commits/{_git.Root}",
        };

        using var response = await _client.GetAsync(path);

        response.StatusCode.ShouldBe(expected);
        if (expected == HttpStatusCode.UnprocessableEntity)
        {
            (await response.JsonAsync())["message"]!.GetValue<string>().ShouldStartWith("No commit found for SHA: ");
        }
    }

    // ---- commits/{ref}/status --------------------------------------------------------------------

    /// <summary>Statuses as "context=state" reported in that order; GitHub's combined state and count of contexts.</summary>
    [Theory]
    [InlineData("none", "", "pending", 0)]
    [InlineData("all success", "ci/build=success,lint=success", "success", 2)]
    [InlineData("one pending", "ci/build=success,lint=pending", "pending", 2)]
    [InlineData("one failure", "ci/build=success,lint=failure", "failure", 2)]
    [InlineData("error counts as failure", "ci/build=error", "failure", 1)]
    [InlineData("failure beats pending", "ci/build=pending,lint=failure", "failure", 2)]
    [InlineData("a later report replaces a failure", "ci/build=failure,ci/build=success", "success", 1)]
    [InlineData("a later report replaces a success", "ci/build=success,ci/build=pending", "pending", 1)]
    public async Task CombinedStatus_State_FollowsGitHubsRules(string @case, string reports, string state, int total)
    {
        foreach (var report in reports.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var (context, reported) = (report.Split('=')[0], report.Split('=')[1]);
            State.AddStatus(Repo, _git.Squash, context, reported, description: $"{context} says {reported}");
        }

        var combined = await (await _client.GetAsync($"repos/{Repo}/commits/{_git.Squash}/status")).JsonAsync();

        combined["state"]!.GetValue<string>().ShouldBe(state, @case);
        combined["total_count"]!.GetValue<int>().ShouldBe(total);
        combined["sha"]!.GetValue<string>().ShouldBe(_git.Squash);
        var statuses = combined["statuses"]!.AsArray();
        statuses.Count.ShouldBe(total);
        statuses.Select(s => s!["context"]!.GetValue<string>()).ShouldBeUnique();
    }

    [Fact]
    public async Task CombinedStatus_LatestReportOfAContext_IsTheOneShown()
    {
        State.AddStatus(Repo, _git.Squash, "ci/build", "pending", "Build started", "https://ci.example.com/1");
        State.AddStatus(Repo, _git.Squash, "ci/build", "success", "Build passed", "https://ci.example.com/2");

        var status = (await (await _client.GetAsync($"repos/{Repo}/commits/{_git.Squash}/status")).JsonAsync())["statuses"]!.AsArray().Single()!;

        status["state"]!.GetValue<string>().ShouldBe("success");
        status["description"]!.GetValue<string>().ShouldBe("Build passed");
        status["target_url"]!.GetValue<string>().ShouldBe("https://ci.example.com/2");
    }

    [Fact]
    public async Task CombinedStatus_Ref_IsResolvedThroughGitAndShowsOnlyThatCommit()
    {
        State.AddStatus(Repo, _git.Squash, "ci/build", "success");
        State.AddStatus(Repo, _git.Feature2, "ci/build", "failure");

        var main = await (await _client.GetAsync($"repos/{Repo}/commits/main/status")).JsonAsync();
        var feature = await (await _client.GetAsync($"repos/{Repo}/commits/feature/status")).JsonAsync();
        var slashed = await (await _client.GetAsync($"repos/{Repo}/commits/release/1.0/status")).JsonAsync();
        using var unknown = await _client.GetAsync($"repos/{Repo}/commits/no-such-branch/status");

        main["sha"]!.GetValue<string>().ShouldBe(_git.Squash);
        main["state"]!.GetValue<string>().ShouldBe("success");
        feature["state"]!.GetValue<string>().ShouldBe("failure");
        slashed["sha"]!.GetValue<string>().ShouldBe(_git.MainMove, "release/1.0 is a branch with a slash at mainMove");
        slashed["total_count"]!.GetValue<int>().ShouldBe(0);
        unknown.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task CombinedStatus_Paginated_EveryPageCarriesTheStateOverAllContexts()
    {
        for (var i = 1; i <= 5; i++)
        {
            // The only failure is the oldest report, so it is listed last (newest first).
            State.AddStatus(Repo, _git.Squash, $"ctx{i.ToString(CultureInfo.InvariantCulture)}", i == 1 ? "failure" : "success");
        }

        List<string> seen = [];
        List<string> states = [];
        string? next = $"repos/{Repo}/commits/{_git.Squash}/status?per_page=2";
        while (next is not null)
        {
            using var page = await _client.GetAsync(next);
            var body = await page.JsonAsync();
            seen.AddRange(body["statuses"]!.AsArray().Select(s => s!["context"]!.GetValue<string>()));
            states.Add(body["state"]!.GetValue<string>());
            body["total_count"]!.GetValue<int>().ShouldBe(5);
            next = page.Links().GetValueOrDefault("next");
        }

        seen.ShouldBe(["ctx5", "ctx4", "ctx3", "ctx2", "ctx1"]);
        states.ShouldBe(["failure", "failure", "failure"]);
    }

    [Fact]
    public async Task CombinedStatus_NewReport_ChangesTheETagSoAConditionalReadSeesIt()
    {
        State.AddStatus(Repo, _git.Squash, "ci/build", "pending");
        var path = $"repos/{Repo}/commits/{_git.Squash}/status";
        using var first = await _client.GetAsync(path);
        var etag = first.Header("ETag")!;

        using var unchanged = await GetIfNoneMatchAsync(path, etag);
        State.AddStatus(Repo, _git.Squash, "ci/build", "success");
        using var changed = await GetIfNoneMatchAsync(path, etag);

        unchanged.StatusCode.ShouldBe(HttpStatusCode.NotModified);
        changed.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await changed.JsonAsync())["state"]!.GetValue<string>().ShouldBe("success");
    }

    // ---- commits/{ref}/check-runs ----------------------------------------------------------------

    [Fact]
    public async Task CheckRuns_ListedNewestFirstInGitHubsEnvelope()
    {
        var build = State.AddCheckRun(Repo, _git.Squash, "build", "completed", "success");
        var lint = State.AddCheckRun(Repo, _git.Squash, "lint", "in_progress");
        State.AddCheckRun(Repo, _git.Feature2, "elsewhere", "queued");

        var body = await (await _client.GetAsync($"repos/{Repo}/commits/main/check-runs")).JsonAsync();

        body["total_count"]!.GetValue<int>().ShouldBe(2);
        var runs = body["check_runs"]!.AsArray();
        runs.Select(r => r!["id"]!.GetValue<long>()).ShouldBe([lint, build]);
        runs[0]!["status"]!.GetValue<string>().ShouldBe("in_progress");
        runs[0]!["conclusion"].ShouldBeNull();
        runs[0]!["completed_at"].ShouldBeNull();
        runs[1]!["conclusion"]!.GetValue<string>().ShouldBe("success");
        runs[1]!["head_sha"]!.GetValue<string>().ShouldBe(_git.Squash);
        runs[1]!["app"]!["slug"]!.GetValue<string>().ShouldBe("github-actions");
    }

    [Fact]
    public async Task CheckRuns_SetCheckRun_CompletesTheRunWithItsConclusion()
    {
        var id = State.AddCheckRun(Repo, _git.Squash, "build", "queued");

        State.SetCheckRun(Repo, id, "completed", "timed_out");
        var run = (await (await _client.GetAsync($"repos/{Repo}/commits/{_git.Squash}/check-runs")).JsonAsync())["check_runs"]![0]!;

        run["status"]!.GetValue<string>().ShouldBe("completed");
        run["conclusion"]!.GetValue<string>().ShouldBe("timed_out");
        run["completed_at"]!.GetValue<string>().ShouldMatch(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$");
    }

    [Fact]
    public async Task CheckRuns_ReRunOfACheck_ReplacesItUnlessAllAreAskedFor()
    {
        var failed = State.AddCheckRun(Repo, _git.Squash, "build", "completed", "failure");
        var rerun = State.AddCheckRun(Repo, _git.Squash, "build", "completed", "success");

        var latest = await (await _client.GetAsync($"repos/{Repo}/commits/{_git.Squash}/check-runs")).JsonAsync();
        var all = await (await _client.GetAsync($"repos/{Repo}/commits/{_git.Squash}/check-runs?filter=all")).JsonAsync();

        latest["check_runs"]!.AsArray().Select(r => r!["id"]!.GetValue<long>()).ShouldBe([rerun]);
        all["check_runs"]!.AsArray().Select(r => r!["id"]!.GetValue<long>()).ShouldBe([rerun, failed]);
        all["total_count"]!.GetValue<int>().ShouldBe(2);
    }

    [Fact]
    public async Task CheckRuns_Paginated_LinksWalkEveryRunOnce()
    {
        List<long> ids = [.. Enumerable.Range(1, 5).Select(i => State.AddCheckRun(Repo, _git.Squash, $"check{i.ToString(CultureInfo.InvariantCulture)}", "queued"))];

        List<long> seen = [];
        string? next = $"repos/{Repo}/commits/{_git.Squash}/check-runs?per_page=2";
        while (next is not null)
        {
            using var page = await _client.GetAsync(next);
            var body = await page.JsonAsync();
            body["total_count"]!.GetValue<int>().ShouldBe(5);
            seen.AddRange(body["check_runs"]!.AsArray().Select(r => r!["id"]!.GetValue<long>()));
            next = page.Links().GetValueOrDefault("next");
        }

        seen.ShouldBe(Enumerable.Reverse(ids));
    }

    [Fact]
    public async Task CheckRuns_UnknownRefIs422AndRepositoryWithoutGitIs409()
    {
        State.AddPullRequest("acme/nogit", new PullRequestSeed("carol", "f", Hashes.Sha1("h"), "main", Hashes.Sha1("b")));

        using var unknown = await _client.GetAsync($"repos/{Repo}/commits/{Hashes.Sha1("never committed")}/check-runs");
        using var noGit = await _client.GetAsync($"repos/acme/nogit/commits/{Hashes.Sha1("h")}/check-runs");

        unknown.StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity);
        noGit.StatusCode.ShouldBe(HttpStatusCode.Conflict);
    }

    [Fact]
    public void Seeds_Invalid_AreRejectedAtOnce()
    {
        Should.Throw<ArgumentException>(() => State.AddStatus(Repo, _git.Squash, "ci/build", "ok"));
        Should.Throw<ArgumentException>(() => State.AddStatus(Repo, "main", "ci/build", "success"));
        Should.Throw<ArgumentException>(() => State.AddCheckRun(Repo, _git.Squash, "build", "completed"));
        Should.Throw<ArgumentException>(() => State.AddCheckRun(Repo, _git.Squash, "build", "queued", "success"));
        Should.Throw<ArgumentException>(() => State.AddCheckRun(Repo, _git.Squash, "build", "done"));
        Should.Throw<InvalidOperationException>(() => State.SetCheckRun(Repo, 999_999, "completed", "success"));
    }

    // ---- compare ---------------------------------------------------------------------------------

    /// <summary>
    /// The relation of two refs as git sees it, for the cases the release-branch check tells apart. The squash-merged
    /// topic branch is the incident DeployGuard exists for: its commits never reached main, so it has diverged.
    /// </summary>
    [Theory]
    [InlineData("merged feature is on main", "main", "feature", "behind", 0, 3)]
    [InlineData("main is ahead of a merged feature", "feature", "main", "ahead", 3, 0)]
    [InlineData("a tag at main's commit", "Merge", "v1.0", "identical", 0, 0)]
    [InlineData("squash-merged branch never reached main", "main", "topic", "diverged", 2, 1)]
    [InlineData("open branch ahead of main", "main", "wip", "ahead", 1, 0)]
    public async Task Compare_Refs_StatusAndCountsAsGitSeesThem(string @case, string @base, string head, string status, int ahead, int behind)
    {
        var baseRef = @base == "Merge" ? _git.Merge : @base;

        var comparison = await (await _client.GetAsync($"repos/{Repo}/compare/{baseRef}...{head}")).JsonAsync();

        comparison["status"]!.GetValue<string>().ShouldBe(status, @case);
        comparison["ahead_by"]!.GetValue<int>().ShouldBe(ahead, @case);
        comparison["behind_by"]!.GetValue<int>().ShouldBe(behind, @case);
        comparison["total_commits"]!.GetValue<int>().ShouldBe(ahead, @case);
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private string Sha(string name) => (string)typeof(GitScenario).GetProperty(name)!.GetValue(_git)!;

    private async Task<HttpResponseMessage> GetIfNoneMatchAsync(string path, string etag)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("If-None-Match", etag);
        return await _client.SendAsync(request);
    }
}
