using System.Net;
using DeployGuard.Core.Pipelines;
using DeployGuard.Core.Policy;
using DeployGuard.GitHub;
using DeployGuard.GitHub.Auth;
using DeployGuard.GitHub.Http;
using DeployGuard.Pipelines;
using DeployGuard.Sandbox;
using DeployGuard.Tests.GitHub;
using DeployGuard.Tests.Support;

namespace DeployGuard.Tests.Pipelines;

/// <summary>
/// The repository-dispatch pipeline with the real GitHub client over loopback HTTP against the emulator, on a fake
/// clock. A dispatch is a POST: these tests also pin which failures the client may send again by itself.
/// </summary>
public sealed class RepositoryDispatchPipelineTests : IAsyncLifetime
{
    private const string AppRepo = "acme/app";
    private const string DispatchPath = $"/repos/{AppRepo}/dispatches";

    private EmulatedGitHub _gh = null!;

    private IReadOnlyList<RepositoryDispatchInfo> Received => _gh.State.RepositoryDispatches(AppRepo);

    private List<RecordedRequest> Posts => [.. _gh.Requests.Where(r => r.Method == "POST")];

    public async Task InitializeAsync()
    {
        _gh = await EmulatedGitHub.StartAsync();
        _gh.State.AddRepository(AppRepo, _gh.Repo.Path);
    }

    public async Task DisposeAsync() => await _gh.DisposeAsync();

    [Fact]
    public async Task Trigger_SendsADeployEventWithTheValuesAsPayload_Triggered()
    {
        var request = Request();

        var outcome = await TriggerAsync(Pipeline(), request);

        outcome.ShouldBe(new PipelineOutcome.Triggered(null));
        var received = Received.ShouldHaveSingleItem();
        received.EventType.ShouldBe("deploy");
        received.ClientPayload.ShouldBe(request.Values);
        Posts.ShouldHaveSingleItem().PathAndQuery.ShouldBe(DispatchPath);
    }

    [Fact]
    public async Task Trigger_PipelineNamesItsOwnRepository_SendsThere()
    {
        var request = Request() with { Spec = new PipelineSpec { Type = PipelineType.RepositoryDispatch, Repository = EmulatedGitHub.Repository } };

        await TriggerAsync(Pipeline(), request);

        _gh.State.RepositoryDispatches(EmulatedGitHub.Repository).ShouldHaveSingleItem();
        Received.ShouldBeEmpty();
    }

    [Fact]
    public async Task Trigger_Answered500Once_SentAgainByThePipeline_OneEventReceived()
    {
        _gh.Emulator.Faults.Add("POST", DispatchPath, new EmulatorFault(500, Times: 1));

        var outcome = await TriggerAsync(Pipeline(), Request());

        outcome.ShouldBe(new PipelineOutcome.Triggered(null));
        Posts.Select(p => p.StatusCode).ShouldBe([500, 204]);
        Received.ShouldHaveSingleItem();
    }

    [Fact]
    public async Task Trigger_Always5xx_FailedAfterMaxAttempts_TheClientNeverRepeatsThePostItself()
    {
        _gh.Emulator.Faults.Add("POST", DispatchPath, new EmulatorFault(502, Times: 100));

        var outcome = await TriggerAsync(Pipeline(new GitHubActionsPipelineOptions { MaxDispatchAttempts = 3 }), Request());

        var failed = outcome.ShouldBeOfType<PipelineOutcome.Failed>();
        failed.Reason.ShouldContain("acme/app");
        failed.Reason.ShouldContain("3 times");
        Posts.Count.ShouldBe(3, "one POST per pipeline attempt: the client's own retries skip a POST GitHub may have acted on");
        Received.ShouldBeEmpty();
    }

    [Fact]
    public async Task Trigger_AnswerLost_SentAgain_ReceiverSeesItTwice()
    {
        // At least once, by design: the event cannot be looked up, so a lost answer means sending it again.
        var client = _gh.CreateClientThrough(new FailFirst(_ => new HttpResponseMessage(HttpStatusCode.GatewayTimeout) { Content = new StringContent("") }, forward: true));

        var outcome = await TriggerAsync(Pipeline(client: client), Request());

        outcome.ShouldBe(new PipelineOutcome.Triggered(null));
        Received.Count.ShouldBe(2);
        Received.Select(r => r.ClientPayload.Single(p => p.Key == "deploy_id").Value).Distinct().ShouldHaveSingleItem().ShouldBe(Request().DeployId);
    }

    [Fact]
    public async Task Trigger_TooManyRequests_ClientWaitsRetryAfterThenSendsAgain()
    {
        _gh.Emulator.Faults.Add("POST", DispatchPath, EmulatorFault.TooManyRequests(retryAfterSeconds: 7));
        var start = _gh.Time.GetUtcNow();

        var outcome = await TriggerAsync(Pipeline(), Request());

        outcome.ShouldBe(new PipelineOutcome.Triggered(null));
        Posts.Select(p => p.StatusCode).ShouldBe([429, 204]);
        (_gh.Time.GetUtcNow() - start).ShouldBe(TimeSpan.FromSeconds(7), "exactly GitHub's retry-after, no pipeline backoff on top");
        Received.ShouldHaveSingleItem();
    }

    [Fact]
    public async Task Trigger_ConnectionRefusedBeforeSending_ClientRetriesIt()
    {
        var client = _gh.CreateClientThrough(new FailFirst(_ => throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused"), forward: false));

        var outcome = await TriggerAsync(Pipeline(client: client), Request());

        outcome.ShouldBe(new PipelineOutcome.Triggered(null));
        Posts.ShouldHaveSingleItem().StatusCode.ShouldBe(204);
        Received.ShouldHaveSingleItem();
        _gh.Logs.AllText.ShouldContain("succeeded after 1 retries");
    }

    [Fact]
    public async Task Trigger_UnknownRepository_FailedNamingIt()
    {
        var outcome = await TriggerAsync(Pipeline(), Request() with { AppRepository = "acme/nope" });

        var failed = outcome.ShouldBeOfType<PipelineOutcome.Failed>();
        failed.Reason.ShouldStartWith("repository acme/nope not found");
        Posts.ShouldHaveSingleItem().StatusCode.ShouldBe(404);
    }

    [Fact]
    public async Task Trigger_TokenRefused_FailedNamingThePermission()
    {
        var client = _gh.CreateClient(tokens: StaticTokenSource.FromToken("ghp_NotAToken0000000000000000000000000000"));

        var outcome = await TriggerAsync(Pipeline(client: client), Request());

        outcome.ShouldBeOfType<PipelineOutcome.Failed>().Reason.ShouldContain("Contents: write");
        Received.ShouldBeEmpty();
    }

    [Fact]
    public async Task Trigger_RateLimitedUntilFarAhead_WaitsAndSendsNothing()
    {
        _gh.Emulator.Faults.Add("POST", DispatchPath, EmulatorFault.PrimaryRateLimit(_gh.Time.GetUtcNow() + TimeSpan.FromHours(1)));

        var outcome = await TriggerAsync(Pipeline(), Request());

        outcome.ShouldBeOfType<PipelineOutcome.Waiting>().Reason.ShouldContain("not sent");
        Posts.Count.ShouldBe(1);
        Received.ShouldBeEmpty();
    }

    [Fact]
    public async Task Follow_ReturnsTriggeredUnchanged_WithoutAskingGitHub()
    {
        var followed = await Pipeline().FollowAsync(Request(), "anything", CancellationToken.None);

        followed.ShouldBe(new PipelineOutcome.Triggered("anything"));
        _gh.Requests.ShouldBeEmpty();
    }

    // ---- helpers --------------------------------------------------------------------------------

    private PipelineRequest Request() => new()
    {
        Environment = "production",
        App = "app",
        Commit = Hashes.Sha1("new"),
        DeployId = "production.app.0123456789ab",
        AppRepository = AppRepo,
        Spec = new PipelineSpec { Type = PipelineType.RepositoryDispatch },
        ClaimedAt = _gh.Time.GetUtcNow(),
    };

    private RepositoryDispatchPipeline Pipeline(GitHubActionsPipelineOptions? options = null, IGitHubClient? client = null) =>
        new(client ?? _gh.CreateClient(), _gh.Time, _gh.Logs.CreateLogger<RepositoryDispatchPipeline>(), options ?? new GitHubActionsPipelineOptions());

    private Task<PipelineOutcome> TriggerAsync(RepositoryDispatchPipeline pipeline, PipelineRequest request) =>
        _gh.Time.RunAsync(pipeline.TriggerAsync(request, CancellationToken.None));


    /// <summary>
    /// The first request fails as <paramref name="failure"/> says — after reaching the emulator when
    /// <paramref name="forward"/> (an answer lost on the way back), before it otherwise (a connection never made).
    /// Faults injected in the emulator cannot do either: they answer instead of the endpoint.
    /// </summary>
    private sealed class FailFirst(Func<HttpRequestMessage, HttpResponseMessage> failure, bool forward) : DelegatingHandler
    {
        private int _failed;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (Interlocked.Exchange(ref _failed, 1) != 0)
            {
                return await base.SendAsync(request, cancellationToken);
            }

            if (forward)
            {
                (await base.SendAsync(request, cancellationToken)).Dispose();
            }

            var response = failure(request);
            response.RequestMessage = request;
            return response;
        }
    }
}
