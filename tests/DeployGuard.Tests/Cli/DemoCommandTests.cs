using System.Text.RegularExpressions;
using DeployGuard.Tests.Support;

namespace DeployGuard.Tests.Cli;

/// <summary><c>deployguard demo</c> (SPEC §9): the whole flow in a sandbox, seeded from the repository's deploy-manifests/.</summary>
public sealed partial class DemoCommandTests
{
    private const string LogCommand = "$ git log --notes=deployguard";

    private static readonly string Manifests = FindManifests();

    private static string FindManifests()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "deploy-manifests");
            if (File.Exists(Path.Combine(candidate, "deployguard.yml")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"no deploy-manifests/ above {AppContext.BaseDirectory}");
    }

    [GeneratedRegex(@"; sandbox in (?<path>\S+)$", RegexOptions.Multiline)]
    private static partial Regex SandboxLine();

    private static string Sandbox(CliResult result)
    {
        var match = SandboxLine().Match(result.Output);
        match.Success.ShouldBeTrue(result.Output);
        return match.Groups["path"].Value.TrimEnd('\r');
    }

    private static int Count(string text, string what) => Regex.Count(text, Regex.Escape(what));

    [Fact]
    public async Task Demo_TellsTheFourStories_TwoDeployed_TwoRefused_AndCleansUp()
    {
        var result = await CliRunner.RunAsync("demo", "--manifests", Manifests);

        result.ExitCode.ShouldBe(0, result.Output + result.Error);
        result.Error.ShouldBeEmpty();
        var outcomes = result.OutputLines.Where(l => l.StartsWith("DeployGuard:", StringComparison.Ordinal)).ToList();
        outcomes.Count.ShouldBe(4, result.Output);
        outcomes[0].ShouldMatch(@"approved by alice; ran the pipeline; staging\.app\.[0-9a-f]{12} succeeded\.$");
        outcomes[1].ShouldMatch(@"approved by alice and bob; ran the pipeline; production\.app\.[0-9a-f]{12} succeeded\.$");
        outcomes[2].ShouldContain("REFUSED production.app.");
        outcomes[2].ShouldContain("not on the release branch main");
        outcomes[3].ShouldContain("REFUSED production.app.");
        outcomes[3].ShouldContain("direct push without review");
        result.OutputLines[^1].ShouldBe("Demo finished: 2 deploys done, 2 refused with their reasons.");

        Directory.Exists(Sandbox(result)).ShouldBeFalse("the sandbox is temporary");
    }

    [Fact]
    public async Task Demo_EndsWithTheGitLog_WhoseNotesAreTheLedger()
    {
        var result = await CliRunner.RunAsync("demo", "--manifests", Manifests);

        result.ExitCode.ShouldBe(0, result.Output + result.Error);
        var at = result.Output.IndexOf(LogCommand, StringComparison.Ordinal);
        at.ShouldBeGreaterThan(0, result.Output);
        var log = result.Output[(at + LogCommand.Length)..result.Output.LastIndexOf("Demo finished:", StringComparison.Ordinal)];
        result.Output.LastIndexOf("DeployGuard:", StringComparison.Ordinal).ShouldBeLessThan(at, "the log comes after the four stories");

        Count(log, "Notes (deployguard):").ShouldBe(4, log);
        Count(log, "Status: succeeded").ShouldBe(2, log);
        Count(log, "Status: refused").ShouldBe(2, log);
        log.ShouldContain("Deploy: staging/app");
        log.ShouldContain("Deploy: production/app");
        log.ShouldContain("Approved-By: alice, bob");
        log.ShouldContain("Reason: direct push without review");
        log.ShouldContain("not on the release branch main");
        log.ShouldContain("Seed from deploy-manifests", customMessage: "the whole history down to the seed, whose commit carries no note");

        // Newest first: the direct push's refusal is the first block, the staging deploy the last.
        log.IndexOf("Reason: direct push without review", StringComparison.Ordinal)
            .ShouldBeLessThan(log.IndexOf("Deploy: staging/app", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Demo_Keep_LeavesTheRepositoriesToExploreWithGit()
    {
        var result = await CliRunner.RunAsync("demo", "--manifests", Manifests, "--keep");
        var sandbox = Sandbox(result);
        try
        {
            result.ExitCode.ShouldBe(0, result.Output + result.Error);
            result.Output.ShouldContain($"Sandbox kept in {sandbox}");
            Directory.Exists(sandbox).ShouldBeTrue();
            var log = TestRepo.RunGit(Path.Combine(sandbox, "acme-deploy.git"), 0, "log", "--notes=deployguard");
            Count(log, "Status: succeeded").ShouldBe(2, log);
            Count(log, "Status: refused").ShouldBe(2, log);
        }
        finally
        {
            if (Directory.Exists(sandbox))
            {
                Directory.Delete(sandbox, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Demo_AsARealProcess_FinishesWithExitZero()
    {
        var result = await CliRunner.RunProcessAsync(null, "demo", "--manifests", Manifests);

        result.ExitCode.ShouldBe(0, result.Output + result.Error);
        result.Output.ShouldContain("Demo finished: 2 deploys done, 2 refused with their reasons.");
        Directory.Exists(Sandbox(result)).ShouldBeFalse();
    }

    [Fact]
    public async Task Demo_ManifestsNotFound_IsAUsageError_NamingTheFolder()
    {
        var result = await CliRunner.RunAsync("demo", "--manifests", "/nonexistent");

        result.ExitCode.ShouldBe(2);
        result.Error.ShouldContain("/nonexistent");
        result.Error.ShouldContain("deployguard.yml");
        result.Output.ShouldBeEmpty("nothing was started");
    }
}
