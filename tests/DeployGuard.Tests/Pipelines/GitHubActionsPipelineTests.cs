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
/// The github-actions pipeline with the real GitHub client over loopback HTTP against the emulator, on a fake clock
/// shared by both (waits are jumped, never slept). The property under test throughout: one deploy, at most one run.
/// </summary>
public sealed class GitHubActionsPipelineTests : IAsyncLifetime
{
    private const string AppRepo = "acme/app";
    private const string DeployId = "staging.app.0123456789ab";
    private const string DispatchPath = $"/repos/{AppRepo}/actions/workflows/deploy.yml/dispatches";
    private const string RunsPath = $"/repos/{AppRepo}/actions/runs";

    private EmulatedGitHub _gh = null!;

    private EmulatorState State => _gh.State;

    private IReadOnlyList<WorkflowRunInfo> Runs => State.WorkflowRuns(AppRepo);

    private List<RecordedRequest> Posts => [.. _gh.Requests.Where(r => r.Method == "POST")];

    public async Task InitializeAsync()
    {
        _gh = await EmulatedGitHub.StartAsync();
        State.AddRepository(AppRepo, _gh.Repo.Path);
        State.AddWorkflow(AppRepo, "deploy.yml", new WorkflowSeed());
    }

    public async Task DisposeAsync() => await _gh.DisposeAsync();

    // ---- dispatch and follow --------------------------------------------------------------------

    [Fact]
    public async Task Trigger_DispatchesOnce_ThenFollowRunsToSucceeded()
    {
        var pipeline = Pipeline();
        var request = Request();

        var triggered = await TriggerAsync(pipeline, request);
        var run = Runs.ShouldHaveSingleItem();
        var url = $"{Web}/{AppRepo}/actions/runs/{run.Id}";
        var first = await FollowAsync(pipeline, request, url);
        var second = await FollowAsync(pipeline, request, url);

        triggered.ShouldBe(new PipelineOutcome.Running(url));
        first.ShouldBe(new PipelineOutcome.Running(url));
        second.ShouldBe(new PipelineOutcome.Succeeded(url));
        Runs.ShouldHaveSingleItem().Conclusion.ShouldBe("success");
        Posts.ShouldHaveSingleItem().PathAndQuery.ShouldBe(DispatchPath);
    }

    [Fact]
    public async Task Trigger_SendsTheDeployValuesAsInputs_AtTheRef_AndLooksFirst()
    {
        var request = Request();

        await TriggerAsync(Pipeline(), request);

        var run = Runs.ShouldHaveSingleItem();
        run.Inputs.ShouldBe(request.Values);
        run.Ref.ShouldBe("main");
        run.DisplayTitle.ShouldBe($"Deploy {DeployId}");
        var sent = _gh.Requests.Select(r => r.Method + " " + r.PathAndQuery.Split('?')[0]).ToList();
        sent.ShouldBe([$"GET {RunsPath}", $"POST {DispatchPath}"], "a lookup comes before the dispatch");
        _gh.Requests[0].PathAndQuery.ShouldContain("event=workflow_dispatch");
        _gh.Requests[0].PathAndQuery.ShouldContain("created=%3E%3D2026-11-21T09%3A55%3A00Z", Case.Sensitive, "the claim's time less five minutes of clock skew");
    }

    [Fact]
    public async Task Trigger_PipelineNamesItsOwnRepository_DispatchesThere()
    {
        State.AddWorkflow(EmulatedGitHub.Repository, "deploy.yml");
        var request = Request() with { Spec = Spec() with { Repository = EmulatedGitHub.Repository } };

        var outcome = await TriggerAsync(Pipeline(), request);

        outcome.ShouldBeOfType<PipelineOutcome.Running>();
        State.WorkflowRuns(EmulatedGitHub.Repository).ShouldHaveSingleItem();
        Runs.ShouldBeEmpty();
    }

    [Fact]
    public async Task Follow_RunConcludesFailure_Failed()
    {
        State.AddWorkflow(AppRepo, "deploy.yml", new WorkflowSeed { Conclusion = "failure", PollsBeforeCompletion = 0 });
        var pipeline = Pipeline();
        var request = Request();

        var triggered = (PipelineOutcome.Running)await TriggerAsync(pipeline, request);
        var followed = await FollowAsync(pipeline, request, triggered.Run);

        followed.ShouldBe(new PipelineOutcome.Failed("run concluded failure", triggered.Run));
    }

    [Theory]
    [InlineData("success", "Succeeded")]
    [InlineData("neutral", "Succeeded")]
    [InlineData("skipped", "Succeeded")]
    [InlineData("failure", "Failed")]
    [InlineData("cancelled", "Failed")]
    [InlineData("timed_out", "Failed")]
    [InlineData("startup_failure", "Failed")]
    [InlineData("action_required", "Failed")]
    [InlineData("stale", "Failed")]
    public async Task Follow_CompletedRun_OutcomeFollowsTheConclusion(string conclusion, string outcome)
    {
        var pipeline = Pipeline();
        var request = Request();
        var run = (PipelineOutcome.Running)await TriggerAsync(pipeline, request);

        State.CompleteRun(AppRepo, Runs.Single().Id, conclusion);
        var followed = await FollowAsync(pipeline, request, run.Run);

        followed.GetType().Name.ShouldBe(outcome);
        if (followed is PipelineOutcome.Failed failed)
        {
            failed.Reason.ShouldBe($"run concluded {conclusion}");
            failed.Run.ShouldBe(run.Run);
        }
    }

    [Fact]
    public async Task Follow_RunNotCompleteAfterRunTimeout_Failed()
    {
        State.AddWorkflow(AppRepo, "deploy.yml", new WorkflowSeed { PollsBeforeCompletion = int.MaxValue });
        var pipeline = Pipeline(new GitHubActionsPipelineOptions { RunTimeout = TimeSpan.FromHours(2) });
        var request = Request();
        var run = (PipelineOutcome.Running)await TriggerAsync(pipeline, request);

        _gh.Time.Advance(TimeSpan.FromHours(2));
        var atTheLimit = await FollowAsync(pipeline, request, run.Run);
        _gh.Time.Advance(TimeSpan.FromSeconds(1));
        var past = await FollowAsync(pipeline, request, run.Run);

        atTheLimit.ShouldBe(new PipelineOutcome.Running(run.Run));
        past.ShouldBe(new PipelineOutcome.Failed("run still in_progress after 02:00:00", run.Run));
    }

    [Fact]
    public async Task Follow_GitHubDown_StillRunning()
    {
        var pipeline = Pipeline();
        var request = Request();
        var run = (PipelineOutcome.Running)await TriggerAsync(pipeline, request);
        _gh.Emulator.Faults.Add("GET", RunsPath, new EmulatorFault(503, Times: 100));

        var followed = await FollowAsync(pipeline, request, run.Run);

        followed.ShouldBe(new PipelineOutcome.Running(run.Run));
        _gh.Requests.Count(r => r.StatusCode == 503).ShouldBeGreaterThan(1, "the client retried before giving up");
        _gh.Logs.AllText.ShouldContain("could not be read, still following it");
    }

    [Fact]
    public async Task Follow_NotARunAddress_Failed()
    {
        var followed = await FollowAsync(Pipeline(), Request(), "https://github.com/acme/app/actions");

        followed.ShouldBeOfType<PipelineOutcome.Failed>().Reason.ShouldContain("not the address of a GitHub Actions run");
        _gh.Requests.ShouldBeEmpty();
    }

    // ---- at most once ---------------------------------------------------------------------------

    [Fact]
    public async Task Trigger_RecoveringWhenTheRunExists_FollowsItAndDoesNotDispatchAgain()
    {
        var pipeline = Pipeline();
        var first = await TriggerAsync(pipeline, Request());
        _gh.Time.Advance(TimeSpan.FromMinutes(3));

        var recovered = await TriggerAsync(pipeline, Request(recovering: true));

        recovered.ShouldBe(first);
        Runs.ShouldHaveSingleItem();
        Posts.Count.ShouldBe(1);
    }

    [Fact]
    public async Task Trigger_NotRecoveringButTheRunExists_AlsoDoesNotDispatchAgain()
    {
        var pipeline = Pipeline();
        var first = await TriggerAsync(pipeline, Request());

        var again = await TriggerAsync(pipeline, Request());

        again.ShouldBe(first);
        Runs.ShouldHaveSingleItem();
    }

    [Fact]
    public async Task Trigger_RecoveringWithinTheGraceAndNoRun_Waits_AfterTheGraceDispatches()
    {
        var pipeline = Pipeline(new GitHubActionsPipelineOptions { RunLookupGrace = TimeSpan.FromSeconds(30) });
        var request = Request(recovering: true);

        var early = await TriggerAsync(pipeline, request);
        var postsWhileWaiting = Posts.Count;
        _gh.Time.Advance(TimeSpan.FromSeconds(31));
        var late = await TriggerAsync(pipeline, request);

        early.ShouldBeOfType<PipelineOutcome.Waiting>().Reason.ShouldContain("may not be listed yet");
        postsWhileWaiting.ShouldBe(0);
        late.ShouldBe(new PipelineOutcome.Running($"{Web}/{AppRepo}/actions/runs/{Runs.Single().Id}"));
        Posts.Count.ShouldBe(1);
    }

    [Fact]
    public async Task Trigger_RecoveringAndRunsCannotBeListed_WaitsWithoutDispatching()
    {
        _gh.Emulator.Faults.Add("GET", RunsPath, new EmulatorFault(502, Times: 100));

        var outcome = await TriggerAsync(Pipeline(), Request(recovering: true, claimedAt: _gh.Time.GetUtcNow() - TimeSpan.FromMinutes(10)));

        outcome.ShouldBeOfType<PipelineOutcome.Waiting>().Reason.ShouldContain("cannot be listed");
        Posts.ShouldBeEmpty();
        Runs.ShouldBeEmpty();
    }

    [Fact]
    public async Task Trigger_FirstAttemptAndRunsCannotBeListed_DispatchesAnyway()
    {
        _gh.Emulator.Faults.Add("GET", RunsPath, new EmulatorFault(502, Times: 100));

        var outcome = await TriggerAsync(Pipeline(), Request());

        outcome.ShouldBeOfType<PipelineOutcome.Running>();
        Runs.ShouldHaveSingleItem();
    }

    [Fact]
    public async Task Trigger_DispatchAnswered500_LooksForTheRunThenDispatchesOnce_OneRun()
    {
        _gh.Emulator.Faults.Add("POST", DispatchPath, new EmulatorFault(500, Times: 1));

        var outcome = await TriggerAsync(Pipeline(), Request());

        Runs.Count.ShouldBe(1);
        outcome.ShouldBe(new PipelineOutcome.Running($"{Web}/{AppRepo}/actions/runs/{Runs.Single().Id}"));
        Posts.Select(p => p.StatusCode).ShouldBe([500, 200], "the client does not repeat a POST GitHub may have acted on");
        var firstPost = _gh.Requests.ToList().FindIndex(r => r.Method == "POST");
        _gh.Requests.Skip(firstPost + 1).First().PathAndQuery.ShouldStartWith(RunsPath + "?", Case.Sensitive, "the runs are searched before dispatching again");
    }

    [Fact]
    public async Task Trigger_DispatchWentThroughButItsAnswerWasLost_FindsTheRunAndDoesNotDispatchAgain()
    {
        // The emulator's faults answer instead of the endpoint; a lost answer needs the request to reach it first.
        var client = _gh.CreateClientThrough(new LoseAnswer(r => r.Method == HttpMethod.Post, HttpStatusCode.BadGateway));

        var outcome = await TriggerAsync(Pipeline(client: client), Request());

        var run = Runs.ShouldHaveSingleItem();
        outcome.ShouldBe(new PipelineOutcome.Running($"{Web}/{AppRepo}/actions/runs/{run.Id}"));
        Posts.Count.ShouldBe(1);
        _gh.Logs.AllText.ShouldContain("the failed dispatch went through");
    }

    [Fact]
    public async Task Trigger_DispatchKeepsFailing_FailedAfterMaxAttempts_EachAttemptOnePost()
    {
        _gh.Emulator.Faults.Add("POST", DispatchPath, new EmulatorFault(503, Times: 100));

        var outcome = await TriggerAsync(Pipeline(new GitHubActionsPipelineOptions { MaxDispatchAttempts = 3 }), Request());

        var failed = outcome.ShouldBeOfType<PipelineOutcome.Failed>();
        failed.Reason.ShouldContain("deploy.yml");
        failed.Reason.ShouldContain(AppRepo);
        failed.Reason.ShouldContain("3 times");
        Posts.Count.ShouldBe(3);
        Runs.ShouldBeEmpty();
    }

    [Fact]
    public async Task Trigger_GitHubAnswers204_FindsTheRunByItsTitle()
    {
        State.AddWorkflow(AppRepo, "deploy.yml", new WorkflowSeed { AnswersWithRunDetails = false });

        var outcome = await TriggerAsync(Pipeline(), Request());

        outcome.ShouldBe(new PipelineOutcome.Running($"{Web}/{AppRepo}/actions/runs/{Runs.Single().Id}"));
    }

    [Fact]
    public async Task Trigger_GitHubAnswers204AndNoRunNamesTheDeploy_TriggeredAndWarnsAboutRunName()
    {
        State.AddWorkflow(AppRepo, "deploy.yml", new WorkflowSeed { AnswersWithRunDetails = false, RunName = null });

        var outcome = await TriggerAsync(Pipeline(), Request());

        outcome.ShouldBe(new PipelineOutcome.Triggered(null));
        Runs.ShouldHaveSingleItem();
        Posts.Count.ShouldBe(1);
        _gh.Logs.AllText.ShouldContain("run-name contain ${{ inputs.deploy_id }}");
    }

    [Fact]
    public async Task Trigger_RunsOfAnotherWorkflowOrAnotherDeploy_AreNotMistakenForThisOne()
    {
        State.AddWorkflow(AppRepo, "other.yml", new WorkflowSeed());
        var client = _gh.CreateClient();
        await client.DispatchWorkflowAsync(AppRepo, "other.yml", "main", Request().Values, CancellationToken.None);
        await client.DispatchWorkflowAsync(AppRepo, "deploy.yml", "main", (Request() with { DeployId = DeployId + "f" }).Values, CancellationToken.None);

        var outcome = await TriggerAsync(Pipeline(), Request());

        Runs.Count.ShouldBe(3);
        var ours = Runs.Single(r => r.Workflow == "deploy.yml" && r.DisplayTitle == $"Deploy {DeployId}");
        outcome.ShouldBe(new PipelineOutcome.Running($"{Web}/{AppRepo}/actions/runs/{ours.Id}"));
    }

    [Fact]
    public async Task Trigger_RunFromBeforeTheClaim_IsNotThisDeploysRun()
    {
        var pipeline = Pipeline();
        await TriggerAsync(pipeline, Request());
        _gh.Time.Advance(TimeSpan.FromMinutes(6));

        // The same id claimed again later (a reset replays it): the old run is older than the claim less clock skew.
        var outcome = await TriggerAsync(pipeline, Request(claimedAt: _gh.Time.GetUtcNow()));

        Runs.Count.ShouldBe(2);
        outcome.ShouldBe(new PipelineOutcome.Running($"{Web}/{AppRepo}/actions/runs/{Runs[1].Id}"));
    }

    // ---- refusals -------------------------------------------------------------------------------

    [Fact]
    public async Task Trigger_UnknownWorkflow_FailedNamingWorkflowAndRepository()
    {
        var outcome = await TriggerAsync(Pipeline(), Request(workflow: "missing.yml"));

        var failed = outcome.ShouldBeOfType<PipelineOutcome.Failed>();
        failed.Reason.ShouldStartWith("workflow missing.yml or repository acme/app not found");
        failed.Run.ShouldBeNull();
        Posts.ShouldHaveSingleItem().StatusCode.ShouldBe(404);
        Runs.ShouldBeEmpty();
    }

    [Fact]
    public async Task Trigger_RefThatDoesNotExist_FailedSayingWhatToCheck()
    {
        var outcome = await TriggerAsync(Pipeline(), Request() with { Spec = Spec() with { Ref = "release" } });

        var failed = outcome.ShouldBeOfType<PipelineOutcome.Failed>();
        failed.Reason.ShouldContain("deploy.yml in acme/app at release");
        failed.Reason.ShouldContain("No ref found for: release");
        Posts.Count.ShouldBe(1);
    }

    [Fact]
    public async Task Trigger_TokenRefused_FailedNamingThePermission()
    {
        var client = _gh.CreateClient(tokens: StaticTokenSource.FromToken("ghp_NotAToken0000000000000000000000000000"));

        var outcome = await TriggerAsync(Pipeline(client: client), Request());

        var failed = outcome.ShouldBeOfType<PipelineOutcome.Failed>();
        failed.Reason.ShouldContain("Actions: write");
        failed.Reason.ShouldNotContain("ghp_");
        Posts.ShouldBeEmpty("the lookup was refused first");
    }

    [Fact]
    public async Task Trigger_RateLimitedUntilFarAhead_WaitsAndSendsNothing()
    {
        _gh.Emulator.Faults.Add("POST", DispatchPath, EmulatorFault.PrimaryRateLimit(_gh.Time.GetUtcNow() + TimeSpan.FromHours(1)));

        var outcome = await TriggerAsync(Pipeline(), Request());

        outcome.ShouldBeOfType<PipelineOutcome.Waiting>().Reason.ShouldContain("not sent");
        Runs.ShouldBeEmpty();
    }

    [Fact]
    public async Task Trigger_NoWorkflowInTheSpec_Failed()
    {
        var outcome = await TriggerAsync(Pipeline(), Request() with { Spec = Spec() with { Workflow = null } });

        outcome.ShouldBeOfType<PipelineOutcome.Failed>().Reason.ShouldContain("names no workflow");
        _gh.Requests.ShouldBeEmpty();
    }

    [Fact]
    public async Task Trigger_RepositoryNameGitHubCannotHold_FailedWithoutARequest()
    {
        var outcome = await TriggerAsync(Pipeline(), Request() with { AppRepository = "acme/../x" });

        outcome.ShouldBeOfType<PipelineOutcome.Failed>().Reason.ShouldContain("acme/../x");
        _gh.Requests.ShouldBeEmpty();
    }

    // ---- matching runs --------------------------------------------------------------------------

    [Theory]
    [InlineData("Deploy staging.app.abc", true)]
    [InlineData("staging.app.abc", true)]
    [InlineData("Deploy staging.app.abc to staging", true)]
    [InlineData("Deploy (staging.app.abc)", true)]
    [InlineData("Deploy staging.app.abc.", true)]
    [InlineData("deploy_id=staging.app.abc, by bob", true)]
    [InlineData("Deploy staging.app.abcd", false)]
    [InlineData("Deploy staging.app.abc1", false)]
    [InlineData("Deploy staging.app.abc-2", false)]
    [InlineData("Deploy staging.app.abc.def", false)]
    [InlineData("Deploy prestaging.app.abc", false)]
    [InlineData("Deploy x.staging.app.abc", false)]
    [InlineData("Deploy STAGING.APP.ABC", false)]
    [InlineData("Deploy staging.app.abcd staging.app.abc", true)]
    [InlineData("Deploy", false)]
    public void TitleNamesDeploy_MatchesTheDeployIdAsAWholeToken(string title, bool expected) =>
        GitHubActionsPipeline.TitleNamesDeploy(title, "staging.app.abc").ShouldBe(expected);

    [Theory]
    [InlineData(".github/workflows/deploy.yml", 7, "deploy.yml", true)]
    [InlineData(".github/workflows/deploy.yml@main", 7, "deploy.yml", true)]
    [InlineData(".github/workflows/deploy.yml", 7, ".github/workflows/deploy.yml", true)]
    [InlineData(".github/workflows/deploy.yml", 7, "7", true)]
    [InlineData(".github/workflows/deploy.yml", 7, "8", false)]
    [InlineData(".github/workflows/deploy.yaml", 7, "deploy.yml", false)]
    [InlineData(".github/workflows/predeploy.yml", 7, "deploy.yml", false)]
    [InlineData(".github/workflows/Deploy.yml", 7, "deploy.yml", false)]
    public void IsRunOfWorkflow_ComparesTheFileOrTheNumericId(string path, long workflowId, string workflow, bool expected)
    {
        var run = new WorkflowRun(1, "Deploy", "t", "workflow_dispatch", "queued", null, "main", Hashes.Sha1("x"), "https://github.com/a/b/actions/runs/1", path, workflowId, DateTimeOffset.UnixEpoch);

        GitHubActionsPipeline.IsRunOfWorkflow(run, workflow).ShouldBe(expected);
    }

    [Theory]
    [InlineData("https://github.com/acme/app/actions/runs/30433642", 30433642L)]
    [InlineData("https://ghe.example/acme/app/actions/runs/7/", 7L)]
    [InlineData("https://github.com/acme/app/actions/runs/latest", null)]
    [InlineData("https://github.com/acme/app/actions/runs/0", null)]
    [InlineData("not a url", null)]
    public void RunId_IsTheLastSegmentOfTheRunsAddress(string run, long? id) =>
        GitHubActionsPipeline.RunId(run).ShouldBe(id);

    // ---- helpers --------------------------------------------------------------------------------

    private string Web => _gh.Emulator.ApiUrl.GetLeftPart(UriPartial.Authority);

    private static PipelineSpec Spec() => new() { Type = PipelineType.GitHubActions, Workflow = "deploy.yml", Ref = "main" };

    private PipelineRequest Request(bool recovering = false, string workflow = "deploy.yml", DateTimeOffset? claimedAt = null) => new()
    {
        Environment = "staging",
        App = "app",
        Commit = Hashes.Sha1("new"),
        PreviousCommit = Hashes.Sha1("old"),
        DeployId = DeployId,
        AppRepository = AppRepo,
        Spec = Spec() with { Workflow = workflow },
        ClaimedAt = claimedAt ?? _gh.Time.GetUtcNow(),
        Recovering = recovering,
    };

    private GitHubActionsPipeline Pipeline(GitHubActionsPipelineOptions? options = null, IGitHubClient? client = null) =>
        new(client ?? _gh.CreateClient(), _gh.Time, _gh.Logs.CreateLogger<GitHubActionsPipeline>(), options ?? new GitHubActionsPipelineOptions());

    /// <summary>Runs the call with the clock jumped over every wait (client backoff, lookups, dispatch retries).</summary>
    private Task<PipelineOutcome> TriggerAsync(GitHubActionsPipeline pipeline, PipelineRequest request) =>
        _gh.Time.RunAsync(pipeline.TriggerAsync(request, CancellationToken.None));

    private Task<PipelineOutcome> FollowAsync(GitHubActionsPipeline pipeline, PipelineRequest request, string run) =>
        _gh.Time.RunAsync(pipeline.FollowAsync(request, run, CancellationToken.None));


    /// <summary>Lets the first matching request reach GitHub, then loses its answer: GitHub acted, the caller sees <paramref name="status"/>.</summary>
    private sealed class LoseAnswer(Func<HttpRequestMessage, bool> match, HttpStatusCode status) : DelegatingHandler
    {
        private int _lost;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (!match(request) || Interlocked.Exchange(ref _lost, 1) != 0)
            {
                return response;
            }

            response.Dispose();
            return new HttpResponseMessage(status) { Content = new StringContent(""), RequestMessage = request };
        }
    }
}
