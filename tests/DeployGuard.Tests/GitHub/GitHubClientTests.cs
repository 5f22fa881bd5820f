using System.Net;
using DeployGuard.GitHub;
using DeployGuard.GitHub.Auth;
using DeployGuard.Sandbox;

namespace DeployGuard.Tests.GitHub;

/// <summary>
/// The client against the sandbox emulator over real HTTP on loopback. Waits run on a fake clock: a test
/// checks the client has not proceeded, moves the clock, and checks it then did. Nothing sleeps.
/// </summary>
public sealed class GitHubClientTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private const string Repo = EmulatedGitHub.Repository;
    private const string ReviewsPath = "/repos/acme/deploy/pulls";
    private EmulatedGitHub _gh = null!;

    public async Task InitializeAsync() => _gh = await EmulatedGitHub.StartAsync();

    public async Task DisposeAsync() => await _gh.DisposeAsync();

    // ---- pagination ------------------------------------------------------------------------------

    [Fact]
    public async Task ListReviews_MoreThanOnePage_FollowsLinkHeaders()
    {
        var number = _gh.AddPullRequest();
        AddReviews(number, 250);
        var client = _gh.CreateClient();

        var reviews = await client.ListReviewsAsync(Repo, number, CancellationToken.None);

        reviews.Count.ShouldBe(250);
        reviews.Select(r => r.User!.Login).ShouldBe(Enumerable.Range(1, 250).Select(Reviewer));
        reviews.Select(r => r.Id).ShouldBeInOrder(SortDirection.Ascending);
        var sent = _gh.Requests.Where(r => r.PathAndQuery.Contains("/reviews", StringComparison.Ordinal)).ToList();
        sent.Count.ShouldBe(3);
        sent[0].PathAndQuery.ShouldBe($"/repos/acme/deploy/pulls/{number}/reviews?per_page=100");
        sent.ShouldAllBe(r => r.StatusCode == 200 && r.HadAuthorization);
        sent[1].PathAndQuery.ShouldContain("page=2");
        sent[2].PathAndQuery.ShouldContain("page=3");
    }

    [Theory]
    [InlineData(1, 3, 3)]
    [InlineData(7, 20, 3)]
    [InlineData(10, 20, 2)]
    [InlineData(30, 5, 1)]
    public async Task ListReviews_SmallPageSizes_ReturnsEveryReviewOnce(int pageSize, int count, int pages)
    {
        var number = _gh.AddPullRequest();
        AddReviews(number, count);
        var client = _gh.CreateClient(o => o.PageSize = pageSize);

        var reviews = await client.ListReviewsAsync(Repo, number, CancellationToken.None);

        reviews.Select(r => r.User!.Login).ShouldBe(Enumerable.Range(1, count).Select(Reviewer));
        _gh.Requests.Count.ShouldBe(pages);
        _gh.Requests[0].PathAndQuery.ShouldEndWith($"per_page={pageSize}");
    }

    [Fact]
    public async Task ListPullRequestsForCommit_MergedPullRequest_ReadsTheWireFields()
    {
        var merged = new DateTimeOffset(2026, 11, 20, 9, 30, 0, TimeSpan.Zero);
        var number = _gh.State.AddPullRequest(Repo, new PullRequestSeed("carol", "pr", _gh.HeadSha, "main", _gh.BaseSha)
        {
            Merged = true,
            MergeCommitSha = _gh.HeadSha,
            MergedAt = merged,
            State = "closed",
            Labels = ["deployguard/freeze-override"],
        });
        var client = _gh.CreateClient();

        var pulls = await client.ListPullRequestsForCommitAsync(Repo, _gh.HeadSha, CancellationToken.None);

        var pull = pulls.ShouldHaveSingleItem();
        pull.Number.ShouldBe(number);
        pull.State.ShouldBe("closed");
        pull.MergedAt.ShouldBe(merged);
        pull.MergeCommitSha.ShouldBe(_gh.HeadSha);
        pull.Base.Ref.ShouldBe("main");
        pull.Head.Sha.ShouldBe(_gh.HeadSha);
        pull.User!.Login.ShouldBe("carol");
        pull.Labels!.Select(l => l.Name).ShouldBe(["deployguard/freeze-override"]);
    }

    // ---- conditional requests ------------------------------------------------------------------------

    [Fact]
    public async Task GetPullRequest_RepeatedCall_SendsIfNoneMatchAndUsesThe304()
    {
        var number = _gh.AddPullRequest();
        var client = _gh.CreateClient();

        var first = await client.GetPullRequestAsync(Repo, number, CancellationToken.None);
        var second = await client.GetPullRequestAsync(Repo, number, CancellationToken.None);

        _gh.Requests.Count.ShouldBe(2);
        _gh.Requests[0].IfNoneMatch.ShouldBeNull();
        _gh.Requests[0].StatusCode.ShouldBe(200);
        _gh.Requests[1].IfNoneMatch.ShouldNotBeNullOrEmpty();
        _gh.Requests[1].StatusCode.ShouldBe(304);
        second.ShouldBe(first with { Labels = second.Labels });
        second.Labels.ShouldBe(first.Labels);
        second.Number.ShouldBe(number);
        second.Head.Sha.ShouldBe(_gh.HeadSha);
    }

    [Fact]
    public async Task ListReviews_RepeatedCallOverSeveralPages_EveryPageIsA304AndTheResultIsTheSame()
    {
        var number = _gh.AddPullRequest();
        AddReviews(number, 5);
        var client = _gh.CreateClient(o => o.PageSize = 2);

        var first = await client.ListReviewsAsync(Repo, number, CancellationToken.None);
        var second = await client.ListReviewsAsync(Repo, number, CancellationToken.None);

        second.ShouldBe(first);
        second.Count.ShouldBe(5);
        var repeat = _gh.Requests.Skip(3).ToList();
        repeat.Count.ShouldBe(3);
        repeat.ShouldAllBe(r => r.StatusCode == 304 && r.IfNoneMatch != null);
    }

    [Fact]
    public async Task ListReviews_NewReviewAfterTheFirstCall_IsSeen()
    {
        var number = _gh.AddPullRequest();
        AddReviews(number, 1);
        var client = _gh.CreateClient();
        (await client.ListReviewsAsync(Repo, number, CancellationToken.None)).Count.ShouldBe(1);

        _gh.State.AddReview(Repo, number, new ReviewSeed("dave", "CHANGES_REQUESTED", _gh.HeadSha));
        var reviews = await client.ListReviewsAsync(Repo, number, CancellationToken.None);

        reviews.Select(r => r.State).ShouldBe(["APPROVED", "CHANGES_REQUESTED"]);
        _gh.Requests[1].IfNoneMatch.ShouldNotBeNull();
        _gh.Requests[1].StatusCode.ShouldBe(200);
    }

    // ---- transient failures --------------------------------------------------------------------------

    [Fact]
    public async Task ServerErrors_500Then502ThenSuccess_RetriedAndSucceeds()
    {
        var number = _gh.AddPullRequest();
        _gh.Emulator.Faults.Add("GET", ReviewsPath, new EmulatorFault(500));
        _gh.Emulator.Faults.Add("GET", ReviewsPath, new EmulatorFault(502));
        var client = _gh.CreateClient();

        var pull = await _gh.Time.RunAsync(client.GetPullRequestAsync(Repo, number, CancellationToken.None));

        pull.Number.ShouldBe(number);
        _gh.Requests.Select(r => r.StatusCode).ShouldBe([500, 502, 200]);
    }

    [Fact]
    public async Task ServerErrors_Persisting_GiveUpAfterMaxRetryAttemptsWithUnavailable()
    {
        var number = _gh.AddPullRequest();
        _gh.Emulator.Faults.Add("GET", ReviewsPath, new EmulatorFault(503, Times: 10));
        var client = _gh.CreateClient(o => o.MaxRetryAttempts = 2);

        var error = await Should.ThrowAsync<GitHubUnavailableException>(_gh.Time.RunAsync(client.GetPullRequestAsync(Repo, number, CancellationToken.None)));

        error.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        error.IsTransient.ShouldBeTrue();
        _gh.Requests.Count.ShouldBe(3);
    }

    [Fact]
    public async Task ServerErrors_Persisting_StopWhenTheNextWaitWouldOutlastTheRetryBudget()
    {
        var number = _gh.AddPullRequest();
        _gh.Emulator.Faults.Add("GET", ReviewsPath, new EmulatorFault(500, Times: 20));

        // Jitter fixed at 0.75 of each step: waits of 3 s, 6 s, then 12 s, which would end past 10 s.
        var client = _gh.CreateClient(o =>
        {
            o.MaxRetryAttempts = 10;
            o.RetryBaseDelay = TimeSpan.FromSeconds(4);
            o.RetryBudget = TimeSpan.FromSeconds(10);
        });

        await Should.ThrowAsync<GitHubUnavailableException>(_gh.Time.RunAsync(client.GetPullRequestAsync(Repo, number, CancellationToken.None)));

        _gh.Requests.Count.ShouldBe(3);
    }

    // ---- rate limits ---------------------------------------------------------------------------------

    [Fact]
    public async Task TooManyRequests_WithRetryAfter_WaitsThatLongBeforeRetrying()
    {
        var number = _gh.AddPullRequest();
        _gh.Emulator.Faults.Add("GET", ReviewsPath, EmulatorFault.TooManyRequests(30));
        var client = _gh.CreateClient();

        var call = client.ListReviewsAsync(Repo, number, CancellationToken.None);

        await AssertWaitsThenProceeds(call, TimeSpan.FromSeconds(30));
        _gh.Requests.Select(r => r.StatusCode).ShouldBe([429, 200]);
    }

    [Fact]
    public async Task SecondaryRateLimit403_WithRetryAfter_WaitsThatLongBeforeRetrying()
    {
        var number = _gh.AddPullRequest();
        _gh.Emulator.Faults.Add("GET", ReviewsPath, EmulatorFault.SecondaryRateLimit(45));
        var client = _gh.CreateClient();

        var call = client.GetPullRequestAsync(Repo, number, CancellationToken.None);

        await AssertWaitsThenProceeds(call, TimeSpan.FromSeconds(45));
        _gh.Requests.Select(r => r.StatusCode).ShouldBe([403, 200]);
    }

    [Fact]
    public async Task SecondaryRateLimit403_WithoutHeaders_WaitsAtLeastAMinute()
    {
        var number = _gh.AddPullRequest();
        _gh.Emulator.Faults.Add("GET", ReviewsPath, new EmulatorFault(403)
        {
            Body = """{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest"}""",
        });
        var client = _gh.CreateClient(o => o.RetryBudget = TimeSpan.FromMinutes(5));

        var call = client.GetPullRequestAsync(Repo, number, CancellationToken.None);

        await AssertWaitsThenProceeds(call, TimeSpan.FromMinutes(1));
        _gh.Requests.Select(r => r.StatusCode).ShouldBe([403, 200]);
    }

    [Fact]
    public async Task PrimaryRateLimit_ResetWithinMaxRateLimitWait_WaitsUntilTheReset()
    {
        var number = _gh.AddPullRequest();
        var reset = _gh.Time.GetUtcNow().AddSeconds(40);
        _gh.Emulator.Faults.Add("GET", ReviewsPath, EmulatorFault.PrimaryRateLimit(reset));
        var client = _gh.CreateClient(o => o.MaxRateLimitWait = TimeSpan.FromMinutes(1));

        var call = client.GetPullRequestAsync(Repo, number, CancellationToken.None);

        // The reset, plus one second for GitHub's whole-second resolution and clock differences.
        await AssertWaitsThenProceeds(call, TimeSpan.FromSeconds(41));
        _gh.Requests.Select(r => r.StatusCode).ShouldBe([403, 200]);
    }

    [Fact]
    public async Task PrimaryRateLimit_ResetBeyondMaxRateLimitWait_FailsClosedAtOnceAndSendsNothingUntilTheReset()
    {
        var number = _gh.AddPullRequest();
        var reset = _gh.Time.GetUtcNow().AddMinutes(30);
        _gh.Emulator.Faults.Add("GET", ReviewsPath, EmulatorFault.PrimaryRateLimit(reset));
        var client = _gh.CreateClient(o => o.MaxRateLimitWait = TimeSpan.FromMinutes(1));

        var error = await Should.ThrowAsync<GitHubRateLimitException>(client.GetPullRequestAsync(Repo, number, CancellationToken.None).WaitAsync(Patience));

        error.IsSecondary.ShouldBeFalse();
        error.ResetAt.ShouldBe(reset);
        error.IsTransient.ShouldBeTrue();
        _gh.Requests.Count.ShouldBe(1);

        // GitHub said the budget is spent: the next call is refused without a request.
        var again = await Should.ThrowAsync<GitHubRateLimitException>(client.ListReviewsAsync(Repo, number, CancellationToken.None).WaitAsync(Patience));
        again.ResetAt.ShouldBe(reset);
        _gh.Requests.Count.ShouldBe(1);

        // After the reset, it sends again.
        _gh.Time.SetUtcNow(reset.AddSeconds(1));
        (await client.GetPullRequestAsync(Repo, number, CancellationToken.None)).Number.ShouldBe(number);
        _gh.Requests.Count.ShouldBe(2);
    }

    [Fact]
    public async Task PrimaryRateLimit_BudgetShownAsSpent_NeverSendsPastIt()
    {
        await _gh.DisposeAsync();
        _gh = await EmulatedGitHub.StartAsync(o => o.RateLimit = 2);
        var one = _gh.AddPullRequest();
        var two = _gh.AddPullRequest();
        var three = _gh.AddPullRequest();
        var client = _gh.CreateClient();

        await client.GetPullRequestAsync(Repo, one, CancellationToken.None);
        await client.GetPullRequestAsync(Repo, two, CancellationToken.None);
        var error = await Should.ThrowAsync<GitHubRateLimitException>(client.GetPullRequestAsync(Repo, three, CancellationToken.None).WaitAsync(Patience));

        error.IsSecondary.ShouldBeFalse();
        _gh.Requests.Count.ShouldBe(2);
        _gh.Requests.ShouldAllBe(r => r.StatusCode == 200);
    }

    // ---- errors that are answers -----------------------------------------------------------------------

    [Fact]
    public async Task Unauthorized_WrongToken_NotRetried()
    {
        var number = _gh.AddPullRequest();
        var client = _gh.CreateClient(tokens: StaticTokenSource.FromToken("ghp_not_a_token_the_emulator_knows"));

        var error = await Should.ThrowAsync<GitHubUnauthorizedException>(client.GetPullRequestAsync(Repo, number, CancellationToken.None).WaitAsync(Patience));

        error.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        error.IsTransient.ShouldBeFalse();
        _gh.Requests.Count.ShouldBe(1);
    }

    [Fact]
    public async Task NotFound_MissingPullRequest_NotRetriedAndNamesThePath()
    {
        var client = _gh.CreateClient();

        var error = await Should.ThrowAsync<GitHubNotFoundException>(client.GetPullRequestAsync(Repo, 999, CancellationToken.None).WaitAsync(Patience));

        error.Message.ShouldContain("GetPullRequest");
        error.Message.ShouldContain("repos/acme/deploy/pulls/999");
        _gh.Requests.Count.ShouldBe(1);
    }

    [Fact]
    public async Task Forbidden_PermissionMissing_NotRetried()
    {
        var number = _gh.AddPullRequest();
        _gh.Emulator.Faults.Add("GET", ReviewsPath, new EmulatorFault(403)
        {
            Body = """{"message":"Resource not accessible by integration","documentation_url":"https://docs.github.com/rest"}""",
        });
        var client = _gh.CreateClient();

        var error = await Should.ThrowAsync<GitHubForbiddenException>(client.ListReviewsAsync(Repo, number, CancellationToken.None).WaitAsync(Patience));

        error.Message.ShouldContain("Resource not accessible by integration");
        error.IsTransient.ShouldBeFalse();
        _gh.Requests.Count.ShouldBe(1);
    }

    [Fact]
    public async Task Validation_422_MapsToValidationException()
    {
        var number = _gh.AddPullRequest();
        _gh.Emulator.Faults.Add("GET", ReviewsPath, new EmulatorFault(422));
        var client = _gh.CreateClient();

        await Should.ThrowAsync<GitHubValidationException>(client.GetPullRequestAsync(Repo, number, CancellationToken.None).WaitAsync(Patience));

        _gh.Requests.Count.ShouldBe(1);
    }

    [Fact]
    public async Task GetCollaboratorAccess_CollaboratorAndStranger_PermissionOrNull()
    {
        _gh.State.SetPermission(Repo, "alice", "write");
        var client = _gh.CreateClient();

        var alice = await client.GetCollaboratorAccessAsync(Repo, "alice", CancellationToken.None);
        var stranger = await client.GetCollaboratorAccessAsync(Repo, "mallory", CancellationToken.None);

        alice.ShouldNotBeNull().Permission.ShouldBe("write");
        stranger.ShouldBeNull();
        _gh.Requests.Count.ShouldBe(2);
    }

    [Fact]
    public async Task GetTeamMembership_MemberAndNonMember_MembershipOrNull()
    {
        _gh.State.AddTeamMember("acme", "ops", "bob");
        var client = _gh.CreateClient();

        var bob = await client.GetTeamMembershipAsync("acme", "ops", "bob", CancellationToken.None);
        var alice = await client.GetTeamMembershipAsync("acme", "ops", "alice", CancellationToken.None);

        bob.ShouldNotBeNull().State.ShouldBe("active");
        alice.ShouldBeNull();
    }

    [Fact]
    public async Task CompareAndListCommits_RealGitBehindTheEmulator_ReadTheWireFields()
    {
        var number = _gh.AddPullRequest();
        var client = _gh.CreateClient();

        var comparison = await client.CompareAsync(Repo, _gh.BaseSha, _gh.HeadSha, CancellationToken.None);
        var commits = await client.ListPullRequestCommitsAsync(Repo, number, CancellationToken.None);

        comparison.Status.ShouldBe("ahead");
        comparison.AheadBy.ShouldBe(1);
        comparison.TotalCommits.ShouldBe(1);
        comparison.Commits.ShouldHaveSingleItem().Sha.ShouldBe(_gh.HeadSha);
        commits.ShouldHaveSingleItem().Sha.ShouldBe(_gh.HeadSha);
        commits[0].Commit.Author!.Email.ShouldBe("author@example.com");
    }

    [Fact]
    public async Task Repository_NotOwnerSlashName_RefusedBeforeAnyRequest()
    {
        var client = _gh.CreateClient();

        await Should.ThrowAsync<ArgumentException>(() => client.GetPullRequestAsync("../../admin", 1, CancellationToken.None));
        await Should.ThrowAsync<ArgumentException>(() => client.GetPullRequestAsync("acme/..", 1, CancellationToken.None));

        _gh.Requests.ShouldBeEmpty();
    }

    // ---- GitHub Enterprise Server --------------------------------------------------------------------

    [Fact]
    public async Task EnterpriseServer_ApiUnderApiV3_RelativePathsAndPagesKeepThePrefix()
    {
        await _gh.DisposeAsync();
        _gh = await EmulatedGitHub.StartAsync(o => o.PathPrefix = "/api/v3");
        var number = _gh.AddPullRequest();
        AddReviews(number, 5);

        // Configured the way an operator writes it, without the trailing slash.
        var client = _gh.CreateClient(o =>
        {
            o.ApiUrl = _gh.Emulator.ApiUrl.AbsoluteUri.TrimEnd('/');
            o.PageSize = 2;
        });

        var reviews = await client.ListReviewsAsync(Repo, number, CancellationToken.None);
        var access = await client.GetCollaboratorAccessAsync(Repo, "nobody", CancellationToken.None);

        _gh.Emulator.ApiUrl.AbsolutePath.ShouldBe("/api/v3/");
        reviews.Count.ShouldBe(5);
        access.ShouldBeNull();
        _gh.Requests.Count.ShouldBe(4);
        _gh.Requests.ShouldAllBe(r => r.PathAndQuery.StartsWith("/api/v3/repos/acme/deploy/", StringComparison.Ordinal));
        _gh.Requests.Take(3).ShouldAllBe(r => r.StatusCode == 200);
    }

    // ---- secrets ---------------------------------------------------------------------------------------

    [Fact]
    public async Task Logs_RunWithFailuresRetriesAndRefusals_NeverContainTheToken()
    {
        var number = _gh.AddPullRequest();
        AddReviews(number, 3);
        _gh.Emulator.Faults.Add("GET", ReviewsPath, new EmulatorFault(500));
        _gh.Emulator.Faults.Add("GET", ReviewsPath, EmulatorFault.SecondaryRateLimit(5));
        _gh.Emulator.Faults.Add("GET", ReviewsPath, new EmulatorFault(502, Times: 10));
        var client = _gh.CreateClient(o => o.MaxRetryAttempts = 3);
        const string refused = "ghp_RefusedTokenThatMustNeverBeLogged987654";
        var refusedClient = _gh.CreateClient(tokens: StaticTokenSource.FromToken(refused));
        var errors = new List<Exception>
        {
            await Should.ThrowAsync<GitHubException>(_gh.Time.RunAsync(client.ListReviewsAsync(Repo, number, CancellationToken.None))),
        };
        _gh.Emulator.Faults.Clear();
        errors.Add(await Should.ThrowAsync<GitHubException>(client.GetPullRequestAsync(Repo, 4242, CancellationToken.None)));
        errors.Add(await Should.ThrowAsync<GitHubException>(refusedClient.GetPullRequestAsync(Repo, number, CancellationToken.None)));

        errors.Select(e => e.GetType()).ShouldBe([typeof(GitHubUnavailableException), typeof(GitHubNotFoundException), typeof(GitHubUnauthorizedException)]);
        _gh.Logs.Lines.Count.ShouldBeGreaterThan(5);
        _gh.Logs.AllText.ShouldContain("retry");
        foreach (var secret in new[] { EmulatedGitHub.Token, refused })
        {
            _gh.Logs.AllText.ShouldNotContain(secret);
            errors.ShouldAllBe(e => !e.ToString().Contains(secret, StringComparison.Ordinal));
        }
    }

    // ---- cancellation ----------------------------------------------------------------------------------

    [Fact]
    public async Task Cancellation_DuringARetryWait_StopsTheCallAndSendsNothingMore()
    {
        var number = _gh.AddPullRequest();
        _gh.Emulator.Faults.Add("GET", ReviewsPath, EmulatorFault.TooManyRequests(60));
        var client = _gh.CreateClient();
        using var cancel = new CancellationTokenSource();

        var call = client.ListReviewsAsync(Repo, number, cancel.Token);
        await _gh.Time.WaitForTimerAsync(Patience);
        call.IsCompleted.ShouldBeFalse();
        await cancel.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(call.WaitAsync(Patience));
        _gh.Time.Advance(TimeSpan.FromMinutes(5));
        _gh.Requests.Count.ShouldBe(1);
    }

    [Fact]
    public async Task Cancellation_WhileWaitingForAPrimaryReset_StopsTheCall()
    {
        var number = _gh.AddPullRequest();
        _gh.Emulator.Faults.Add("GET", ReviewsPath, EmulatorFault.PrimaryRateLimit(_gh.Time.GetUtcNow().AddSeconds(50)));
        var client = _gh.CreateClient();
        using var cancel = new CancellationTokenSource();

        var call = client.GetPullRequestAsync(Repo, number, cancel.Token);
        await _gh.Time.WaitForTimerAsync(Patience);
        await cancel.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(call.WaitAsync(Patience));
        _gh.Time.Advance(TimeSpan.FromMinutes(2));
        _gh.Requests.Count.ShouldBe(1);
    }

    // ---- helpers ----------------------------------------------------------------------------------------

    private static string Reviewer(int i) => $"reviewer{i:000}";

    private void AddReviews(int number, int count)
    {
        for (var i = 1; i <= count; i++)
        {
            _gh.State.AddReview(Repo, number, new ReviewSeed(Reviewer(i), "APPROVED", _gh.HeadSha) { SubmittedAt = _gh.Time.GetUtcNow().AddSeconds(i) });
        }
    }

    /// <summary>
    /// The call is parked on a timer due exactly <paramref name="wait"/> from now; it has sent one request and does
    /// not proceed a second early; it completes once the clock reaches the due time.
    /// </summary>
    private async Task AssertWaitsThenProceeds(Task call, TimeSpan wait)
    {
        await _gh.Time.WaitForTimerAsync(Patience);
        call.IsCompleted.ShouldBeFalse();
        _gh.Requests.Count.ShouldBe(1);
        (_gh.Time.NextDue - _gh.Time.GetUtcNow()).ShouldBe(wait);

        _gh.Time.Advance(wait - TimeSpan.FromSeconds(1));
        call.IsCompleted.ShouldBeFalse();
        _gh.Requests.Count.ShouldBe(1);
        _gh.Time.ActiveTimers.ShouldBe(1);

        _gh.Time.Advance(TimeSpan.FromSeconds(1));
        await call.WaitAsync(Patience);
        _gh.Requests.Count.ShouldBe(2);
    }
}
