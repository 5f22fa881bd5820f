using DeployGuard.Sandbox;
using DeployGuard.Tests.Support;

namespace DeployGuard.Tests.Cli;

/// <summary>
/// <c>check</c> at pull-request time with GitHub credentials configured: the checks that need no
/// approval run too, so the PR is red before anyone reviews a bad deploy (issue 5). Runs the real
/// executable, configured through its environment as a CI job would.
/// </summary>
public sealed class CheckWithGitHubTests : IAsyncLifetime
{
    private const string Token = "ghp_CheckWithGitHubTestsToken00000000000";
    private const string Policy = """
        version: 1
        environments:
          staging: {}
          production: { freeze: [ { start: "2020-01-01T00:00:00Z", end: "2100-01-01T00:00:00Z", reason: "forever frozen" } ] }
        apps:
          app:
            repository: acme/app
            release_branch: main
            pipeline: { type: command, command: ["./deploy.sh"] }
        """;

    private readonly TestRepo _deploy = TestRepo.Create();
    private readonly TestRepo _app = TestRepo.Create();
    private GitHubEmulator _github = null!;
    private string _released = "";
    private string _feature = "";

    public async Task InitializeAsync()
    {
        _released = _app.CommitFiles("release", ("a.txt", "1"));
        _app.Checkout("feature/x", create: true);
        _feature = _app.CommitFiles("unfinished", ("a.txt", "2"));
        _app.Checkout("main");
        _github = await GitHubEmulator.StartAsync();
        _github.State.AddToken(Token);
        _github.State.AddRepository("acme/app", _app.Path);
        _github.State.AddStatus("acme/app", _released, "ci/build", "success");
        _deploy.CommitFiles("seed", ("deployguard.yml", Policy), ("staging/app.deploy", Hashes.DeployFile(_released)), ("production/app.deploy", Hashes.DeployFile(_released)));
    }

    public async Task DisposeAsync()
    {
        await _github.DisposeAsync();
        _deploy.Dispose();
        _app.Dispose();
    }

    private Task<CliResult> CheckAsync(string file, string commit, bool withGitHub = true)
    {
        _deploy.Checkout("pr", create: true);
        _deploy.CommitFiles("deploy", (file, Hashes.DeployFile(commit) + Hashes.DeployFile(_released)));
        var environment = withGitHub
            ? new Dictionary<string, string> { ["DEPLOYGUARD__GITHUB__APIURL"] = _github.ApiUrl.AbsoluteUri, ["DEPLOYGUARD__GITHUB__TOKEN"] = Token }
            : new Dictionary<string, string>();
        return CliRunner.RunProcessAsync(environment, "check", "--repo", _deploy.Path, "--base", "main", "--head", "pr");
    }

    [Fact]
    public async Task FeatureBranchCommit_MakesThePullRequestRed_BeforeAnyReview()
    {
        var result = await CheckAsync("staging/app.deploy", _feature);

        result.ExitCode.ShouldBe(1, result.Output + result.Error);
        result.Output.ShouldContain($"staging/app.deploy:1:1: error: commit {_feature[..12]} is not on the release branch main of acme/app");
        result.Output.ShouldContain("with the GitHub checks");
        (result.Output + result.Error).ShouldNotContain(Token);
    }

    [Fact]
    public async Task UnknownCommit_IsAnError()
    {
        var result = await CheckAsync("staging/app.deploy", Hashes.Sha1("never built"));

        result.ExitCode.ShouldBe(1);
        result.Output.ShouldContain($"error: commit {Hashes.Sha1("never built")[..12]} does not exist in acme/app");
    }

    [Fact]
    public async Task ReleasedGreenCommit_Passes_AndAFreezeIsOnlyAWarning()
    {
        var staging = await CheckAsync("staging/app.deploy", _released);
        staging.ExitCode.ShouldBe(0, staging.Output + staging.Error);

        _deploy.Checkout("main");
        _deploy.Git("branch", "-D", "pr");
        var production = await CheckAsync("production/app.deploy", _released);
        production.ExitCode.ShouldBe(0, production.Output);
        production.Output.ShouldContain("frozen");
        production.Output.ShouldContain("forever frozen");
    }

    [Fact]
    public async Task PendingChecks_AreAWarning_NotAFailure()
    {
        var building = _app.CommitFiles("building", ("a.txt", "3"));
        _github.State.AddCheckRun("acme/app", building, "build", "in_progress");

        var result = await CheckAsync("staging/app.deploy", building);

        result.ExitCode.ShouldBe(0, result.Output);
        result.Output.ShouldContain("warning: checks pending");
        result.Output.ShouldContain("the deploy waits for them after the merge");
    }

    [Fact]
    public async Task WithoutCredentials_OnlyTheLocalChecksRun()
    {
        var result = await CheckAsync("staging/app.deploy", _feature, withGitHub: false);

        result.ExitCode.ShouldBe(0, result.Output);
        result.Output.ShouldNotContain("with the GitHub checks");
    }
}
