using DeployGuard.Git;
using DeployGuard.Tests.Support;

namespace DeployGuard.Tests.Cli;

public sealed class PlanCommandTests : IDisposable
{
    private const string Policy = """
        version: 1
        environments:
          staging: {}
        apps:
          app:
            repository: acme/app
            pipeline: { type: command, command: ["./deploy.sh"] }
        """;

    private readonly TestRepo _remote = TestRepo.Create();
    private readonly TempDirectory _work = new();

    public void Dispose()
    {
        _remote.Dispose();
        _work.Dispose();
    }

    private Task<CliResult> PlanAsync() =>
        CliRunner.RunAsync("plan", $"--DeployGuard:Repository:Url={_remote.Path}", $"--DeployGuard:WorkDir={_work.Path}");

    [Fact]
    public async Task Plan_FirstStart_ReportsTheBaselineAndDeploysNothing()
    {
        var tip = _remote.CommitFiles("seed", ("deployguard.yml", Policy), ("staging/app.deploy", Hashes.DeployFile(Hashes.Sha1("1"))));

        var result = await PlanAsync();

        result.ExitCode.ShouldBe(0, result.Error);
        result.Output.ShouldContain($"First start: {tip[..12]} would be recorded as the baseline");
    }

    [Fact]
    public async Task Plan_PendingCommits_ListsEachIntentWithItsVerdict_AndMovesNoCheckpoint()
    {
        var seed = _remote.CommitFiles("seed", ("deployguard.yml", Policy), ("staging/app.deploy", Hashes.DeployFile(Hashes.Sha1("1"))));
        await PlanAsync();
        var mirror = Path.Combine(_work.Path, "mirror.git");
        var ledger = new GitNotesLedger(new GitCli(), mirror, _remote.Path);
        await ledger.ResetAsync(seed, "test: checkpoint at the seed", CancellationToken.None);
        var deploy = _remote.CommitFiles("deploy", ("staging/app.deploy", Hashes.DeployFile(Hashes.Sha1("2")) + Hashes.DeployFile(Hashes.Sha1("1"))));
        var unknown = _remote.CommitFiles("unknown env", ("qa/app.deploy", Hashes.DeployFile(Hashes.Sha1("2"))));

        var result = await PlanAsync();

        result.ExitCode.ShouldBe(0, result.Error);
        result.Output.ShouldContain("2 commit(s) pending");
        result.Output.ShouldContain($"staging.app.{deploy[..12]}");
        result.Output.ShouldContain($"deploy {Hashes.Sha1("2")[..12]} (was {Hashes.Sha1("1")[..12]})");
        result.Output.ShouldContain($"qa.app.{unknown[..12]}");
        result.Output.ShouldContain("refused (no pull request): environment 'qa' is not in deployguard.yml");
        await ledger.FetchAsync(CancellationToken.None);
        (await ledger.ReadStateAsync(CancellationToken.None)).Checkpoint.ShouldBe(seed, "plan triggers nothing and records nothing");
    }

    [Fact]
    public async Task Plan_DivergedHistory_SaysSoAndExitsOne()
    {
        var seed = _remote.CommitFiles("seed", ("deployguard.yml", Policy));
        var processed = _remote.CommitFiles("two", ("staging/app.deploy", Hashes.DeployFile(Hashes.Sha1("1"))));
        await PlanAsync();
        await new GitNotesLedger(new GitCli(), Path.Combine(_work.Path, "mirror.git"), _remote.Path).ResetAsync(processed, "test: checkpoint", CancellationToken.None);
        _remote.Git("reset", "--hard", "--quiet", seed);
        _remote.CommitFiles("rewritten", ("staging/app.deploy", Hashes.DeployFile(Hashes.Sha1("9"))));

        var result = await PlanAsync();

        result.ExitCode.ShouldBe(1);
        result.Output.ShouldContain("DIVERGED");
        result.Output.ShouldContain("deployguard reset --to");
    }

    [Fact]
    public async Task Plan_InvalidConfiguration_NamesEveryBadKeyAndExitsTwo()
    {
        var result = await CliRunner.RunAsync("plan", "--DeployGuard:PollInterval=00:00:00", "--DeployGuard:GitHub:ApiUrl=not a url");

        result.ExitCode.ShouldBe(2);
        result.Error.ShouldContain("DeployGuard:Repository:Url is required");
        result.Error.ShouldContain("DeployGuard:PollInterval");
        result.Error.ShouldContain("DeployGuard:GitHub:ApiUrl");
    }

    [Fact]
    public async Task Executable_ConfiguredThroughEnvironmentVariables_RunsPlan()
    {
        var tip = _remote.CommitFiles("seed", ("deployguard.yml", Policy));

        var result = await CliRunner.RunProcessAsync(
            new Dictionary<string, string> { ["DEPLOYGUARD__REPOSITORY__URL"] = _remote.Path, ["DEPLOYGUARD__WORKDIR"] = _work.Path },
            "plan");

        result.ExitCode.ShouldBe(0, result.Error);
        result.Output.ShouldContain(tip[..12]);
    }

    [Fact]
    public async Task Plan_UnreachableRepository_ExitsOneWithoutLeakingCredentials()
    {
        var result = await CliRunner.RunAsync("plan", "--DeployGuard:Repository:Url=https://x-access-token:ghs_SECRET@127.0.0.1:9/deploy.git", $"--DeployGuard:WorkDir={_work.Path}");

        result.ExitCode.ShouldBe(1);
        (result.Output + result.Error).ShouldNotContain("ghs_SECRET");
        result.Error.ShouldContain("git clone");
    }

    private const string GitHubToken = "ghp_PlanCommandTestsToken0000000000000000";

    /// <summary>
    /// A merged, reviewed PR on the remote (reviews by the author carol and by alice, who has write
    /// access), the emulator serving it, and the checkpoint at the seed. Returns the merge commit.
    /// </summary>
    private async Task<(DeployGuard.Sandbox.GitHubEmulator GitHub, string Merge, int Number)> ReviewedMergeAsync()
    {
        var seed = _remote.CommitFiles("seed", ("deployguard.yml", Policy), ("staging/app.deploy", Hashes.DeployFile(Hashes.Sha1("1"))));
        await PlanAsync();
        await new GitNotesLedger(new GitCli(), Path.Combine(_work.Path, "mirror.git"), _remote.Path).ResetAsync(seed, "test: checkpoint", CancellationToken.None);
        _remote.Checkout("pr", create: true);
        var head = _remote.CommitFiles("deploy", ("staging/app.deploy", Hashes.DeployFile(Hashes.Sha1("2")) + Hashes.DeployFile(Hashes.Sha1("1"))));
        _remote.Checkout("main");
        var merge = _remote.MergeNoFf("pr");

        var github = await DeployGuard.Sandbox.GitHubEmulator.StartAsync();
        github.State.AddToken(GitHubToken);
        github.State.AddRepository("acme/deploy", _remote.Path);
        github.State.SetPermission("acme/deploy", "alice", "write");
        var number = github.State.AddPullRequest("acme/deploy", new DeployGuard.Sandbox.PullRequestSeed("carol", "pr", head, "main", seed)
        {
            State = "closed", Merged = true, MergeCommitSha = merge, MergedAt = DateTimeOffset.UtcNow,
        });
        github.State.AddReview("acme/deploy", number, new DeployGuard.Sandbox.ReviewSeed("carol", "APPROVED", head));
        github.State.AddReview("acme/deploy", number, new DeployGuard.Sandbox.ReviewSeed("alice", "APPROVED", head));
        return (github, merge, number);
    }

    private Task<CliResult> PlanWithGitHubAsync(DeployGuard.Sandbox.GitHubEmulator github) =>
        CliRunner.RunAsync("plan",
            $"--DeployGuard:Repository:Url={_remote.Path}", $"--DeployGuard:WorkDir={_work.Path}",
            "--DeployGuard:Repository:GitHub=acme/deploy", $"--DeployGuard:GitHub:ApiUrl={github.ApiUrl.AbsoluteUri}",
            $"--DeployGuard:GitHub:Token={GitHubToken}");

    [Fact]
    public async Task Plan_WithGitHubConfigured_RefusesADirectPushAndSupersedesTheOlderIntent()
    {
        var (github, merge, _) = await ReviewedMergeAsync();
        await using var _ = github;
        var pushed = _remote.CommitFiles("direct push", ("staging/app.deploy", Hashes.DeployFile(Hashes.Sha1("3")) + Hashes.DeployFile(Hashes.Sha1("2")) + Hashes.DeployFile(Hashes.Sha1("1"))));

        var result = await PlanWithGitHubAsync(github);

        result.ExitCode.ShouldBe(0, result.Error);
        var lines = result.OutputLines;
        var mergedId = $"staging.app.{merge[..12]}";
        var pushedId = $"staging.app.{pushed[..12]}";
        lines.ShouldContain(l => l.StartsWith(mergedId, StringComparison.Ordinal) && l.Contains("superseded by " + pushedId, StringComparison.Ordinal));
        var pushedLine = lines.First(l => l.StartsWith(pushedId, StringComparison.Ordinal));
        pushedLine.ShouldContain("refused (no pull request): ");
        pushedLine.ShouldContain("direct push without review");
        (result.Output + result.Error).ShouldNotContain(GitHubToken);
    }

    [Fact]
    public async Task Plan_WithGitHubConfigured_ListsApprovalsThatCountAndThoseThatDoNot()
    {
        var (github, _, number) = await ReviewedMergeAsync();
        await using var _ = github;

        var result = await PlanWithGitHubAsync(github);

        result.ExitCode.ShouldBe(0, result.Error);
        // Every check is listed: the approvals pass, and the app commit (a made-up hash) is refused.
        result.OutputLines.ShouldContain("approvals: ok, 1 of 1 approval");
        result.Output.ShouldContain($"refused (PR #{number}): commit {Hashes.Sha1("2")[..12]} does not exist in acme/app");
        result.OutputLines.ShouldContain("carol: approved, does not count: is the pull request's author");
        result.OutputLines.ShouldContain("alice: approved, counts");
    }
}
