using System.Text.Json;
using DeployGuard.Tests.Support;

namespace DeployGuard.Tests.Cli;

public sealed class CheckCommandTests : IDisposable
{
    private const string Policy = """
        version: 1
        environments:
          staging: {}
          production:
            min_approvals: 2
        apps:
          app:
            repository: acme/app
            pipeline: { type: command, command: ["./deploy.sh"] }
        """;

    private static readonly string A1 = Hashes.Sha1("a1");
    private static readonly string A2 = Hashes.Sha1("a2");

    private readonly TestRepo _repo = TestRepo.Create();
    private readonly string _base;

    public CheckCommandTests()
    {
        _base = _repo.CommitFiles("seed",
            ("deployguard.yml", Policy),
            ("staging/app.deploy", Hashes.DeployFile(A1, "first")),
            ("production/app.deploy", Hashes.DeployFile(A1, "first")));
    }

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task Check_GoodChange_ExitsZero()
    {
        _repo.Checkout("pr", create: true);
        _repo.CommitFiles("promote", ("production/app.deploy", Hashes.DeployFile(A2, "promote") + Hashes.DeployFile(A1, "first")));

        var result = await CliRunner.RunAsync("check", "--repo", _repo.Path, "--base", "main", "--head", "pr");

        result.ExitCode.ShouldBe(0, result.Output + result.Error);
        result.OutputLines.ShouldHaveSingleItem().ShouldStartWith("ok: 1 deploy file(s) checked");
    }

    [Fact]
    public async Task Check_BrokenChange_PrintsOneLinePerProblemNamingFileAndLine_AndExitsOne()
    {
        _repo.Checkout("pr", create: true);
        _repo.CommitFiles("broken",
            ("staging/app.deploy", "\n\n" + A2[..7] + "\n* short\n" + Hashes.DeployFile(A1, "first")),
            ("production/app.deploy", Hashes.DeployFile(A2, "rewrote history") + Hashes.DeployFile(A1, "edited note")),
            ("qa/app.deploy", Hashes.DeployFile(A2)),
            ("production/eu/app.deploy", Hashes.DeployFile(A2)));

        var result = await CliRunner.RunAsync("check", "--repo", _repo.Path, "--base", "main", "--head", "pr");

        result.ExitCode.ShouldBe(1);
        var lines = result.OutputLines;
        lines.ShouldContain(l => l.StartsWith("staging/app.deploy:3: error:", StringComparison.Ordinal) && l.Contains("use the full 40-character hash"));
        lines.ShouldContain(l => l.StartsWith("production/app.deploy:", StringComparison.Ordinal) && l.Contains("history rewritten"));
        lines.ShouldContain(l => l.StartsWith("qa/app.deploy:1: error:", StringComparison.Ordinal) && l.Contains("environment 'qa' is not in deployguard.yml"));
        lines.ShouldContain(l => l.StartsWith("production/eu/app.deploy: error:", StringComparison.Ordinal) && l.Contains("one folder deep"));
        lines.Length.ShouldBe(5, string.Join('\n', lines));
        lines[^1].ShouldStartWith("failed: 3 deploy file(s) checked");
        lines[^1].ShouldContain("4 error(s)");
    }

    [Fact]
    public async Task Check_OnlyTheChangeIsJudged_NotOlderProblemsOnTheBaseBranch()
    {
        _repo.CommitFiles("old problem on main", ("staging/app.deploy", "main\n"));
        _repo.Checkout("pr", create: true);
        _repo.CommitFiles("good change", ("production/app.deploy", Hashes.DeployFile(A2) + Hashes.DeployFile(A1, "first")));

        var result = await CliRunner.RunAsync("check", "--repo", _repo.Path, "--base", "main", "--head", "pr");

        result.ExitCode.ShouldBe(0, result.Output);
    }

    [Fact]
    public async Task Check_InvalidPolicyInTheChange_ReportsTheKeyAndLine()
    {
        _repo.Checkout("pr", create: true);
        _repo.CommitFiles("typo", ("deployguard.yml", Policy.Replace("min_approvals: 2", "min_aprovals: 2", StringComparison.Ordinal)));

        var result = await CliRunner.RunAsync("check", "--repo", _repo.Path, "--base", "main", "--head", "pr");

        result.ExitCode.ShouldBe(1);
        result.OutputLines[0].ShouldStartWith("deployguard.yml:5:5: error: environments.production.min_aprovals: unknown key");
        result.OutputLines[0].ShouldContain("did you mean 'min_approvals'");
    }

    [Fact]
    public async Task Check_JsonFormat_ListsProblemsWithPathLineAndCode()
    {
        _repo.Checkout("pr", create: true);
        _repo.CommitFiles("binary", ("staging/app.deploy", "\0\0"));

        var result = await CliRunner.RunAsync("check", "--repo", _repo.Path, "--base", "main", "--head", "pr", "--format", "json");

        result.ExitCode.ShouldBe(1);
        using var json = JsonDocument.Parse(result.Output);
        json.RootElement.GetProperty("ok").GetBoolean().ShouldBeFalse();
        var problems = json.RootElement.GetProperty("problems").EnumerateArray().ToList();
        problems.Select(p => p.GetProperty("code").GetString()).Order().ShouldBe(["Binary", "HistoryRewritten"]);
        var problem = problems.Single(p => p.GetProperty("code").GetString() == "Binary");
        problem.GetProperty("path").GetString().ShouldBe("staging/app.deploy");
        problem.GetProperty("line").GetInt32().ShouldBe(1);
        problem.GetProperty("code").GetString().ShouldBe("Binary");
        problem.GetProperty("severity").GetString().ShouldBe("error");
    }

    [Fact]
    public async Task Check_Folder_ValidatesEveryFileOnDisk()
    {
        File.WriteAllText(_repo.FullPath("staging/app.deploy"), "v1.2.3\n");

        var result = await CliRunner.RunAsync("check", "--repo", _repo.Path);

        result.ExitCode.ShouldBe(1);
        result.OutputLines[0].ShouldStartWith("staging/app.deploy:1: error: 'v1.2.3' is not a commit hash");
        result.OutputLines[0].ShouldContain("branch and tag names move");
    }

    [Theory]
    [InlineData("--no-such-option")]
    [InlineData("--format", "xml")]
    public async Task Check_UsageError_ExitsTwo(params string[] extra)
    {
        var result = await CliRunner.RunAsync(["check", "--repo", _repo.Path, .. extra]);

        result.ExitCode.ShouldBe(2);
        result.Error.ShouldNotBeEmpty();
    }

    [Fact]
    public async Task Check_HeadWithoutBase_ExitsTwo()
    {
        var result = await CliRunner.RunAsync("check", "--repo", _repo.Path, "--head", "main");

        result.ExitCode.ShouldBe(2);
        result.Error.ShouldContain("--head needs --base");
    }

    [Fact]
    public async Task Check_UnknownRef_ExitsTwoNamingIt()
    {
        var result = await CliRunner.RunAsync("check", "--repo", _repo.Path, "--base", "nope", "--head", "main");

        result.ExitCode.ShouldBe(2);
        result.Error.ShouldContain("'nope' is not a commit");
    }

    [Fact]
    public async Task Check_MissingFolder_ExitsTwo()
    {
        var result = await CliRunner.RunAsync("check", "--repo", Path.Combine(_repo.Path, "missing"));

        result.ExitCode.ShouldBe(2);
    }

    [Fact]
    public async Task Executable_CheckOnTheSampleDeployManifests_Passes()
    {
        var manifests = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "deploy-manifests"));

        var result = await CliRunner.RunProcessAsync(null, "check", "--repo", manifests);

        result.ExitCode.ShouldBe(0, result.Output + result.Error);
        result.Output.ShouldContain("ok: 4 deploy file(s) checked");
    }
}
