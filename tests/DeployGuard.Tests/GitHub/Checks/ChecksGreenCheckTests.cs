using DeployGuard.GitHub;
using DeployGuard.GitHub.Checks;
using DeployGuard.Sandbox;
using DeployGuard.Tests.Sandbox;

namespace DeployGuard.Tests.GitHub.Checks;

/// <summary>
/// SPEC §4 step 5 over real HTTP: the real client asks the emulator for the combined status and the check runs of a
/// commit of acme/app (a real git repository), and the check turns GitHub's answer into pass, fail or wait.
/// </summary>
public sealed class ChecksGreenCheckTests : IAsyncLifetime
{
    private const string Repo = GitScenario.Repository;

    private EmulatedGitHub _gh = null!;
    private GitScenario _git = null!;

    private string Commit => _git.Squash;

    private string Short => Commit[..12];

    public async Task InitializeAsync()
    {
        _gh = await EmulatedGitHub.StartAsync();
        _git = GitScenario.Create();
        _git.Seed(_gh.State);
    }

    public async Task DisposeAsync()
    {
        await _gh.DisposeAsync();
        _git.Dispose();
    }

    /// <summary>
    /// Statuses as "context=state" and check runs as "name=status" or "name=completed/conclusion", each reported in
    /// the order given. The expected reason is exact; {commit} stands for the abbreviated commit.
    /// </summary>
    [Theory]
    [InlineData("pending status waits", "ci/build=pending", "", "Pending", "checks pending on {commit}: ci/build")]
    [InlineData("failed check run refuses", "ci/build=success", "lint=completed/failure", "Failed", "checks failed on {commit}: lint (failure)")]
    [InlineData("all green passes", "ci/build=success,security=success", "build=completed/success,lint=completed/neutral,docs=completed/skipped", "Passed", "2 statuses and 3 check runs green")]
    [InlineData("statuses green but a check run in progress waits", "ci/build=success", "build=completed/success,e2e=in_progress", "Pending", "checks pending on {commit}: e2e")]
    [InlineData("a queued check run waits", "", "e2e=queued", "Pending", "checks pending on {commit}: e2e")]
    [InlineData("mixed failure and pending refuses, naming only the failures", "ci/build=failure,preview=pending", "lint=completed/timed_out,e2e=queued", "Failed", "checks failed on {commit}: ci/build (failure), lint (timed_out)")]
    [InlineData("an errored status refuses", "ci/build=error", "", "Failed", "checks failed on {commit}: ci/build (error)")]
    [InlineData("every non-green conclusion refuses", "", "a=completed/cancelled,b=completed/action_required,c=completed/stale,d=completed/startup_failure", "Failed", "checks failed on {commit}: d (startup_failure), c (stale), b (action_required), a (cancelled)")]
    [InlineData("zero checks waits", "", "", "Pending", "no checks reported yet on {commit}")]
    [InlineData("check runs alone, all green, pass although the combined status of no statuses is pending", "", "build=completed/success,lint=completed/success", "Passed", "0 statuses and 2 check runs green")]
    [InlineData("a re-run that succeeded replaces the failed run", "", "build=completed/failure,build=completed/success", "Passed", "0 statuses and 1 check run green")]
    [InlineData("a later status replaces a failure of the same context", "ci/build=failure,ci/build=success", "", "Passed", "1 status and 0 check runs green")]
    public async Task EvaluateAsync_GitHubsAnswer_DecidesPassFailOrWait(string @case, string statuses, string runs, string expected, string reason)
    {
        Report(statuses, runs);

        var result = await CreateCheck().EvaluateAsync(Repo, Commit, CancellationToken.None);

        result.GetType().Name.ShouldBe(expected, @case);
        Reason(result).ShouldBe(reason.Replace("{commit}", Short, StringComparison.Ordinal), @case);
    }

    [Fact]
    public async Task EvaluateAsync_GitHubAnswers500_CannotVerifyAndWaits()
    {
        Report("ci/build=success", "build=completed/success");
        _gh.Emulator.Faults.Add("GET", $"/repos/{Repo}/commits/", new EmulatorFault(500, Times: 100));

        var result = await CreateCheck(o => o.MaxRetryAttempts = 0).EvaluateAsync(Repo, Commit, CancellationToken.None);

        var cannot = result.ShouldBeOfType<CheckResult.CannotVerify>();
        cannot.Reason.ShouldStartWith($"{ChecksGreenCheck.CannotCheck} {Short}: ");
        cannot.Reason.ShouldContain("500");
    }

    [Fact]
    public async Task EvaluateAsync_FailingStatusOnTheLastPage_IsFound()
    {
        // Listed newest first: the failure reported first is on the third page of two.
        Report("ci/a=failure,ci/b=success,ci/c=success,ci/d=success,ci/e=success", "build=completed/success");

        var result = await CreateCheck(o => o.PageSize = 2).EvaluateAsync(Repo, Commit, CancellationToken.None);

        result.ShouldBe(new CheckResult.Failed($"checks failed on {Short}: ci/a (failure)"));
        _gh.Requests.Count(r => r.PathAndQuery.Contains("/status", StringComparison.Ordinal)).ShouldBe(3);
    }

    [Fact]
    public async Task EvaluateAsync_PendingRunCompletesBeforeTheNextLoop_ThenPasses()
    {
        Report("ci/build=success", "");
        var e2e = _gh.State.AddCheckRun(Repo, Commit, "e2e", "in_progress");
        var check = CreateCheck();

        var first = await check.EvaluateAsync(Repo, Commit, CancellationToken.None);
        _gh.State.SetCheckRun(Repo, e2e, "completed", "success");
        var second = await check.EvaluateAsync(Repo, Commit, CancellationToken.None);

        first.ShouldBe(new CheckResult.Pending($"checks pending on {Short}: e2e"));
        second.ShouldBe(new CheckResult.Passed("1 status and 1 check run green"));
    }

    private ChecksGreenCheck CreateCheck(Action<GitHubClientOptions>? configure = null) =>
        new(_gh.CreateClient(configure), _gh.Logs.CreateLogger<ChecksGreenCheck>());

    private void Report(string statuses, string runs)
    {
        foreach (var status in statuses.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = status.Split('=');
            _gh.State.AddStatus(Repo, Commit, parts[0], parts[1]);
        }

        foreach (var run in runs.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = run.Split('=');
            var outcome = parts[1].Split('/');
            _gh.State.AddCheckRun(Repo, Commit, parts[0], outcome[0], outcome.Length > 1 ? outcome[1] : null);
        }
    }

    private static string Reason(CheckResult result) => result switch
    {
        CheckResult.Passed p => p.Summary,
        CheckResult.Failed f => f.Reason,
        CheckResult.Pending p => p.Reason,
        CheckResult.CannotVerify c => c.Reason,
        _ => throw new InvalidOperationException(result.ToString()),
    };
}
