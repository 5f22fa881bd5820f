using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using DeployGuard.Sandbox;
using DeployGuard.Tests.Support;

namespace DeployGuard.Tests.Sandbox;

/// <summary>
/// The emulated GitHub Actions and repository-dispatch endpoints over plain HTTP: what a dispatch creates, how a run
/// moves from queued to completed as it is read, the list filters and pages, and GitHub's refusals.
/// </summary>
public sealed class ActionsEmulatorTests : IAsyncLifetime
{
    private const string Repo = GitScenario.Repository;
    private const string Dispatches = $"repos/{Repo}/actions/workflows/deploy.yml/dispatches";
    private const string Runs = $"repos/{Repo}/actions/runs";

    private readonly FakeTimeProvider _time = new();
    private GitScenario _git = null!;
    private GitHubEmulator _emulator = null!;
    private HttpClient _client = null!;

    private EmulatorState State => _emulator.State;

    public async Task InitializeAsync()
    {
        _git = GitScenario.Create();
        _emulator = await GitHubEmulator.StartAsync(new GitHubEmulatorOptions { TimeProvider = _time });
        State.AddToken(SandboxHttp.Token);
        _git.Seed(State);
        State.AddWorkflow(Repo, "deploy.yml", new WorkflowSeed());
        _client = SandboxHttp.Client(_emulator);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _emulator.DisposeAsync();
        _git.Dispose();
    }

    // ---- dispatch -------------------------------------------------------------------------------

    [Fact]
    public async Task Dispatch_WithReturnRunDetails_Answers200WithTheRunItCreated()
    {
        using var response = await PostAsync(Dispatches, Dispatch("main", ("deploy_id", "staging.app.0123456789ab"), ("app", "app")));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Header("ETag").ShouldBeNull("POST answers carry no ETag");
        var body = await response.JsonAsync();
        var run = State.WorkflowRuns(Repo).ShouldHaveSingleItem();
        body["workflow_run_id"]!.GetValue<long>().ShouldBe(run.Id);
        body["run_url"]!.GetValue<string>().ShouldBe($"{_emulator.ApiUrl}{Runs}/{run.Id}");
        body["html_url"]!.GetValue<string>().ShouldBe($"{Web}/{Repo}/actions/runs/{run.Id}");
        run.Workflow.ShouldBe("deploy.yml");
        run.Ref.ShouldBe("main");
        run.Inputs.ShouldBe([new("deploy_id", "staging.app.0123456789ab"), new("app", "app")]);
        run.DisplayTitle.ShouldBe("Deploy staging.app.0123456789ab");
        run.Status.ShouldBe("queued");
        run.Conclusion.ShouldBeNull();
        run.CreatedAt.ShouldBe(_time.GetUtcNow());
    }

    [Fact]
    public async Task Dispatch_RunsGetIncreasingIdsAndTheHeadOfTheirRef()
    {
        using var first = await PostAsync(Dispatches, Dispatch("main"));
        using var second = await PostAsync(Dispatches, Dispatch("feature"));
        var ids = State.WorkflowRuns(Repo).Select(r => r.Id).ToList();

        using var main = await _client.GetAsync($"{Runs}/{ids[0]}");
        using var feature = await _client.GetAsync($"{Runs}/{ids[1]}");

        ids[1].ShouldBeGreaterThan(ids[0]);
        var mainRun = await main.JsonAsync();
        mainRun["head_sha"]!.GetValue<string>().ShouldBe(_git.Squash);
        mainRun["head_branch"]!.GetValue<string>().ShouldBe("main");
        mainRun["head_commit"]!["id"]!.GetValue<string>().ShouldBe(_git.Squash);
        mainRun["event"]!.GetValue<string>().ShouldBe("workflow_dispatch");
        mainRun["path"]!.GetValue<string>().ShouldBe(".github/workflows/deploy.yml");
        mainRun["run_number"]!.GetValue<int>().ShouldBe(1);
        var featureRun = await feature.JsonAsync();
        featureRun["head_sha"]!.GetValue<string>().ShouldBe(_git.Feature2);
        featureRun["run_number"]!.GetValue<int>().ShouldBe(2);
    }

    [Fact]
    public async Task Dispatch_TagAndFullRefAndNumericWorkflowId_AreAccepted()
    {
        _git.Repo.Git("tag", "v1", _git.Merge);
        var id = State.AddWorkflow(Repo, "release.yml", new WorkflowSeed { Name = "Release" });

        using var byTag = await PostAsync($"repos/{Repo}/actions/workflows/{id}/dispatches", Dispatch("v1"));
        using var byFullRef = await PostAsync(Dispatches, Dispatch("refs/heads/topic"));

        byTag.StatusCode.ShouldBe(HttpStatusCode.OK);
        byFullRef.StatusCode.ShouldBe(HttpStatusCode.OK);
        var runs = State.WorkflowRuns(Repo);
        runs.Select(r => (r.Workflow, r.Ref)).ShouldBe([("release.yml", "v1"), ("deploy.yml", "refs/heads/topic")]);
        var tagged = await (await _client.GetAsync($"{Runs}/{runs[0].Id}")).JsonAsync();
        tagged["head_sha"]!.GetValue<string>().ShouldBe(_git.Merge);
        tagged["head_branch"]!.GetValue<string>().ShouldBe("v1");
        tagged["name"]!.GetValue<string>().ShouldBe("Release");
        tagged["workflow_id"]!.GetValue<long>().ShouldBe(id);
    }

    [Fact]
    public async Task Dispatch_WithoutReturnRunDetails_Answers204_ButApiVersion20260310AlwaysAnswersWithTheRun()
    {
        using var plain = await PostAsync(Dispatches, """{"ref":"main"}""");
        using var request = new HttpRequestMessage(HttpMethod.Post, Dispatches) { Content = Json("""{"ref":"main"}""") };
        request.Headers.Add("X-GitHub-Api-Version", "2026-03-10");
        using var newest = await _client.SendAsync(request);

        plain.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await plain.Content.ReadAsByteArrayAsync()).ShouldBeEmpty();
        newest.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await newest.JsonAsync())["workflow_run_id"]!.GetValue<long>().ShouldBe(State.WorkflowRuns(Repo)[1].Id);
        State.WorkflowRuns(Repo).Count.ShouldBe(2);
    }

    [Fact]
    public async Task Dispatch_SeededWithoutRunDetails_Answers204EvenWhenAsked()
    {
        State.AddWorkflow(Repo, "old.yml", new WorkflowSeed { AnswersWithRunDetails = false });

        using var response = await PostAsync($"repos/{Repo}/actions/workflows/old.yml/dispatches", Dispatch("main"));

        response.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        State.WorkflowRuns(Repo).ShouldHaveSingleItem().Workflow.ShouldBe("old.yml");
    }

    [Theory]
    [InlineData("repos/acme/app/actions/workflows/nope.yml/dispatches", "unknown workflow")]
    [InlineData("repos/acme/nope/actions/workflows/deploy.yml/dispatches", "unknown repository")]
    [InlineData("repos/acme/app/actions/workflows/Deploy.yml/dispatches", "file names are case-sensitive")]
    public async Task Dispatch_UnknownRepositoryOrWorkflow_Answers404(string path, string why)
    {
        using var response = await PostAsync(path, Dispatch("main"));

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound, why);
        var body = await response.JsonAsync();
        body["message"]!.GetValue<string>().ShouldBe("Not Found");
        body["documentation_url"]!.GetValue<string>().ShouldStartWith("https://docs.github.com/rest/actions/");
        State.WorkflowRuns(Repo).ShouldBeEmpty();
    }

    [Theory]
    [InlineData("""{"inputs":{}}""", "\"ref\" wasn't supplied")]
    [InlineData("""{"ref":""}""", "\"ref\" wasn't supplied")]
    [InlineData("""{"ref":"main","inputs":"x"}""", "is not an object")]
    [InlineData("""{"ref":"nope"}""", "No ref found for: nope")]
    [InlineData("""{"ref":"refs/heads/nope"}""", "No ref found for: refs/heads/nope")]
    public async Task Dispatch_InvalidBody_Answers422(string body, string message)
    {
        using var response = await PostAsync(Dispatches, body);

        response.StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity);
        (await response.JsonAsync())["message"]!.GetValue<string>().ShouldContain(message);
        State.WorkflowRuns(Repo).ShouldBeEmpty();
    }

    [Fact]
    public async Task Dispatch_MoreThan25Inputs_Answers422_25AreAccepted()
    {
        var inputs = Enumerable.Range(1, 26).Select(i => ($"input{i}", "x")).ToArray();

        using var tooMany = await PostAsync(Dispatches, Dispatch("main", inputs));
        using var most = await PostAsync(Dispatches, Dispatch("main", inputs[..25]));

        tooMany.StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity);
        (await tooMany.JsonAsync())["message"]!.GetValue<string>().ShouldContain("No more than 25 properties");
        most.StatusCode.ShouldBe(HttpStatusCode.OK);
        State.WorkflowRuns(Repo).ShouldHaveSingleItem().Inputs.Count.ShouldBe(25);
    }

    [Fact]
    public async Task Dispatch_NotJson_Answers400()
    {
        using var response = await PostAsync(Dispatches, "{not json");

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.JsonAsync())["message"]!.GetValue<string>().ShouldBe("Problems parsing JSON");
    }

    [Fact]
    public async Task Dispatch_RunNameTemplate_IsFilledFromTheInputs()
    {
        State.AddWorkflow(Repo, "custom.yml", new WorkflowSeed { RunName = "${{ inputs.environment }}: ${{github.event.inputs.app}} (${{ inputs.missing }})" });
        State.AddWorkflow(Repo, "plain.yml", new WorkflowSeed { RunName = null });
        State.AddWorkflow(Repo, "named.yml", new WorkflowSeed { RunName = null, Name = "Deploy to prod" });

        foreach (var file in new[] { "custom.yml", "plain.yml", "named.yml" })
        {
            using var response = await PostAsync($"repos/{Repo}/actions/workflows/{file}/dispatches", Dispatch("main", ("environment", "staging"), ("app", "web")));
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        State.WorkflowRuns(Repo).Select(r => r.DisplayTitle).ShouldBe(["staging: web ()", ".github/workflows/plain.yml", "Deploy to prod"]);
    }

    [Fact]
    public async Task Dispatch_NonStringInputs_AreRecordedAsTheirJsonText()
    {
        using var response = await PostAsync(Dispatches, """{"ref":"main","inputs":{"dry_run":true,"replicas":3,"name":"x"}}""");

        response.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        State.WorkflowRuns(Repo).ShouldHaveSingleItem().Inputs.ShouldBe([new("dry_run", "true"), new("replicas", "3"), new("name", "x")]);
    }

    [Fact]
    public async Task Dispatch_RepositoryWithoutGitData_AcceptsAnyRefWithAStableStandIn()
    {
        State.AddWorkflow("acme/nogit", "deploy.yml");

        using var first = await PostAsync("repos/acme/nogit/actions/workflows/deploy.yml/dispatches", Dispatch("whatever"));
        using var second = await PostAsync("repos/acme/nogit/actions/workflows/deploy.yml/dispatches", Dispatch("whatever"));
        var runs = await (await _client.GetAsync("repos/acme/nogit/actions/runs")).JsonAsync();

        first.StatusCode.ShouldBe(HttpStatusCode.OK);
        second.StatusCode.ShouldBe(HttpStatusCode.OK);
        var listed = runs["workflow_runs"]!.AsArray();
        listed.Count.ShouldBe(2);
        listed[0]!["head_sha"]!.GetValue<string>().ShouldMatch("^[0-9a-f]{40}$");
        listed[0]!["head_sha"]!.GetValue<string>().ShouldBe(listed[1]!["head_sha"]!.GetValue<string>());
        listed[0]!.AsObject().ContainsKey("head_commit").ShouldBeFalse("there is no commit to show");
    }

    [Fact]
    public async Task Dispatch_FaultInjected_AnswersTheFaultAndCreatesNoRun()
    {
        _emulator.Faults.Add("POST", $"/repos/{Repo}/actions/workflows", new EmulatorFault(500));

        using var faulted = await PostAsync(Dispatches, Dispatch("main"));
        using var next = await PostAsync(Dispatches, Dispatch("main"));

        faulted.StatusCode.ShouldBe(HttpStatusCode.InternalServerError);
        next.StatusCode.ShouldBe(HttpStatusCode.OK);
        State.WorkflowRuns(Repo).Count.ShouldBe(1);
    }

    [Fact]
    public void AddWorkflow_InvalidSeed_IsRefusedAtSeeding()
    {
        Should.Throw<ArgumentException>(() => State.AddWorkflow(Repo, "x.yml", new WorkflowSeed { Conclusion = "green" }));
        Should.Throw<ArgumentException>(() => State.AddWorkflow(Repo, ".github/workflows/x.yml"));
        Should.Throw<ArgumentOutOfRangeException>(() => State.AddWorkflow(Repo, "x.yml", new WorkflowSeed { PollsBeforeCompletion = -1 }));
    }

    // ---- reading a run --------------------------------------------------------------------------

    [Fact]
    public async Task GetRun_DefaultSeed_FirstReadInProgress_NextCompletedWithTheSeededConclusion()
    {
        State.AddWorkflow(Repo, "deploy.yml", new WorkflowSeed { Conclusion = "failure" });
        var id = await DispatchAsync();

        var reads = new List<JsonNode>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await _client.GetAsync($"{Runs}/{id}");
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            reads.Add(await response.JsonAsync());
        }

        reads.Select(r => r["status"]!.GetValue<string>()).ShouldBe(["in_progress", "completed", "completed"]);
        reads.Select(r => r["conclusion"]?.GetValue<string>()).ShouldBe([null, "failure", "failure"]);
        State.WorkflowRuns(Repo).ShouldHaveSingleItem().Conclusion.ShouldBe("failure");
    }

    [Theory]
    [InlineData(0, new[] { "completed" })]
    [InlineData(2, new[] { "in_progress", "in_progress", "completed" })]
    public async Task GetRun_PollsBeforeCompletion_SetsHowManyReadsSeeItRunning(int polls, string[] statuses)
    {
        State.AddWorkflow(Repo, "deploy.yml", new WorkflowSeed { PollsBeforeCompletion = polls });
        var id = await DispatchAsync();

        List<string> seen = [];
        foreach (var _ in statuses)
        {
            seen.Add((await (await _client.GetAsync($"{Runs}/{id}")).JsonAsync())["status"]!.GetValue<string>());
        }

        seen.ShouldBe(statuses);
    }

    [Fact]
    public async Task ListRuns_DoesNotMoveARunOn()
    {
        var id = await DispatchAsync();

        await _client.GetAsync(Runs);
        await _client.GetAsync(Runs);
        var run = await (await _client.GetAsync($"{Runs}/{id}")).JsonAsync();

        run["status"]!.GetValue<string>().ShouldBe("in_progress", "listing twice did not count as reads");
    }

    [Fact]
    public async Task CompleteRun_EndsARunThatWouldNeverEndByItself()
    {
        State.AddWorkflow(Repo, "deploy.yml", new WorkflowSeed { PollsBeforeCompletion = int.MaxValue });
        var id = await DispatchAsync();
        (await (await _client.GetAsync($"{Runs}/{id}")).JsonAsync())["status"]!.GetValue<string>().ShouldBe("in_progress");

        State.CompleteRun(Repo, id, "cancelled");
        var run = await (await _client.GetAsync($"{Runs}/{id}")).JsonAsync();

        run["status"]!.GetValue<string>().ShouldBe("completed");
        run["conclusion"]!.GetValue<string>().ShouldBe("cancelled");
        Should.Throw<InvalidOperationException>(() => State.CompleteRun(Repo, id + 100, "success"));
        Should.Throw<ArgumentException>(() => State.CompleteRun(Repo, id, "done"));
    }

    [Fact]
    public async Task GetRun_UnknownOrNotANumber_Answers404()
    {
        using var unknown = await _client.GetAsync($"{Runs}/12345");
        using var word = await _client.GetAsync($"{Runs}/latest");

        unknown.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        word.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    // ---- listing runs ---------------------------------------------------------------------------

    [Fact]
    public async Task ListRuns_NewestFirst_WithTotalCountAndLinkPages()
    {
        List<long> ids = [];
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await DispatchAsync());
            _time.Advance(TimeSpan.FromMinutes(1));
        }

        using var first = await _client.GetAsync($"{Runs}?per_page=2");
        var body = await first.JsonAsync();
        var links = first.Links();
        using var last = await _client.GetAsync(new Uri(links["last"]));

        body["total_count"]!.GetValue<int>().ShouldBe(5);
        body["workflow_runs"]!.AsArray().Select(r => r!["id"]!.GetValue<long>()).ShouldBe([ids[4], ids[3]]);
        links["next"].ShouldContain("page=2");
        (await last.JsonAsync())["workflow_runs"]!.AsArray().Select(r => r!["id"]!.GetValue<long>()).ShouldBe([ids[0]]);
    }

    [Theory]
    [InlineData(">=2026-11-21T10:01:00Z", new[] { 1, 2 })]
    [InlineData(">2026-11-21T10:01:00Z", new[] { 2 })]
    [InlineData("<2026-11-21T10:01:00Z", new[] { 0 })]
    [InlineData("<=2026-11-21T10:01:00Z", new[] { 0, 1 })]
    [InlineData("2026-11-21T10:01:00Z", new[] { 1 })]
    [InlineData("2026-11-21T10:00:30Z..2026-11-21T10:01:00Z", new[] { 1 })]
    [InlineData("2026-11-21T10:01:00Z..*", new[] { 1, 2 })]
    [InlineData("*..2026-11-21T10:00:00Z", new[] { 0 })]
    [InlineData(">=2026-11-21T11:01:00+01:00", new[] { 1, 2 })]
    [InlineData("2026-11-21", new[] { 0, 1, 2 })]
    [InlineData(">2026-11-21", new int[0])]
    [InlineData("<2026-11-22", new[] { 0, 1, 2 })]
    public async Task ListRuns_CreatedFilter_TakesGitHubsDateSyntax(string created, int[] expected)
    {
        List<long> ids = [];
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await DispatchAsync());
            _time.Advance(TimeSpan.FromMinutes(1));
        }

        var listed = await ListAsync($"created={Uri.EscapeDataString(created)}");

        listed.ShouldBe(Enumerable.Reverse(expected).Select(i => ids[i]));
    }

    [Fact]
    public async Task ListRuns_CreatedNotADate_Answers422()
    {
        using var response = await _client.GetAsync($"{Runs}?created={Uri.EscapeDataString(">=yesterday")}");

        response.StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task ListRuns_EventStatusAndBranchFilters()
    {
        State.AddWorkflow(Repo, "deploy.yml", new WorkflowSeed { PollsBeforeCompletion = 0 });
        var done = await DispatchAsync();
        State.AddWorkflow(Repo, "deploy.yml", new WorkflowSeed());
        var queued = await DispatchAsync("feature");

        (await ListAsync("event=workflow_dispatch")).ShouldBe([queued, done]);
        (await ListAsync("event=push")).ShouldBeEmpty();
        (await ListAsync("status=completed")).ShouldBe([done]);
        (await ListAsync("status=success")).ShouldBe([done], "status also matches conclusions");
        (await ListAsync("status=queued")).ShouldBe([queued]);
        (await ListAsync("branch=feature")).ShouldBe([queued]);
        (await ListAsync("actor=deployguard%5Bbot%5D")).ShouldBe([queued, done]);
        (await ListAsync($"head_sha={_git.Squash}")).ShouldBe([done]);
    }

    [Fact]
    public async Task ListRuns_UnknownRepository_Answers404()
    {
        using var response = await _client.GetAsync("repos/acme/nope/actions/runs");

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ListRuns_RepeatedWithItsETag_Is304UntilARunChanges()
    {
        var id = await DispatchAsync();
        using var first = await _client.GetAsync(Runs);
        var etag = first.Header("ETag")!;

        using var same = await SendAsync(HttpMethod.Get, Runs, ("If-None-Match", etag));
        await _client.GetAsync($"{Runs}/{id}");
        using var changed = await SendAsync(HttpMethod.Get, Runs, ("If-None-Match", etag));

        same.StatusCode.ShouldBe(HttpStatusCode.NotModified);
        changed.StatusCode.ShouldBe(HttpStatusCode.OK, "the run moved to in_progress");
    }

    // ---- repository dispatch --------------------------------------------------------------------

    [Fact]
    public async Task RepositoryDispatch_RecordsEventAndPayload_Answers204()
    {
        using var response = await PostAsync($"repos/{Repo}/dispatches", """{"event_type":"deploy","client_payload":{"environment":"staging","deploy_id":"staging.app.0123456789ab","dry":false}}""");

        response.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        response.Header("ETag").ShouldBeNull();
        var received = State.RepositoryDispatches(Repo).ShouldHaveSingleItem();
        received.EventType.ShouldBe("deploy");
        received.ClientPayload.ShouldBe([new("environment", "staging"), new("deploy_id", "staging.app.0123456789ab"), new("dry", "false")]);
        received.ReceivedAt.ShouldBe(_time.GetUtcNow());
    }

    [Theory]
    [InlineData("""{"client_payload":{}}""", 422, "\"event_type\" wasn't supplied")]
    [InlineData("""{"event_type":""}""", 422, "\"event_type\" wasn't supplied")]
    [InlineData("""{"event_type":"deploy","client_payload":[1]}""", 422, "is not an object")]
    [InlineData("""{"event_type":"deploy","client_payload":{"1":1,"2":2,"3":3,"4":4,"5":5,"6":6,"7":7,"8":8,"9":9,"10":10,"11":11}}""", 422, "No more than 10 properties")]
    [InlineData("[]", 400, "Problems parsing JSON")]
    public async Task RepositoryDispatch_InvalidBody_IsRefusedAndNotRecorded(string body, int status, string message)
    {
        using var response = await PostAsync($"repos/{Repo}/dispatches", body);

        ((int)response.StatusCode).ShouldBe(status);
        (await response.JsonAsync())["message"]!.GetValue<string>().ShouldContain(message);
        State.RepositoryDispatches(Repo).ShouldBeEmpty();
    }

    [Fact]
    public async Task RepositoryDispatch_EventTypeOver100Characters_Answers422()
    {
        using var tooLong = await PostAsync($"repos/{Repo}/dispatches", $$"""{"event_type":"{{new string('x', 101)}}"}""");
        using var longest = await PostAsync($"repos/{Repo}/dispatches", $$"""{"event_type":"{{new string('x', 100)}}"}""");

        tooLong.StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity);
        longest.StatusCode.ShouldBe(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task RepositoryDispatch_UnknownRepository_Answers404()
    {
        using var response = await PostAsync("repos/acme/nope/dispatches", """{"event_type":"deploy"}""");

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        State.RepositoryDispatches("acme/nope").ShouldBeEmpty();
    }

    // ---- helpers --------------------------------------------------------------------------------

    private string Web => _emulator.ApiUrl.GetLeftPart(UriPartial.Authority);

    private static string Dispatch(string gitRef, params (string Name, string Value)[] inputs)
    {
        var body = new JsonObject { ["ref"] = gitRef, ["return_run_details"] = true };
        var values = new JsonObject();
        foreach (var (name, value) in inputs)
        {
            values[name] = value;
        }

        body["inputs"] = values;
        return body.ToJsonString();
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private async Task<HttpResponseMessage> PostAsync(string path, string body) => await _client.PostAsync(path, Json(body));

    private async Task<long> DispatchAsync(string gitRef = "main")
    {
        using var response = await PostAsync(Dispatches, Dispatch(gitRef, ("deploy_id", "staging.app.0123456789ab")));
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return (await response.JsonAsync())["workflow_run_id"]!.GetValue<long>();
    }

    private async Task<List<long>> ListAsync(string query)
    {
        using var response = await _client.GetAsync($"{Runs}?{query}");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var body = await response.JsonAsync();
        var ids = body["workflow_runs"]!.AsArray().Select(r => r!["id"]!.GetValue<long>()).ToList();
        body["total_count"]!.GetValue<int>().ShouldBe(ids.Count);
        return ids;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method, path);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await _client.SendAsync(request);
    }
}
