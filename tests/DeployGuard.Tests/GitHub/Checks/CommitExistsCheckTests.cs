using DeployGuard.GitHub;
using DeployGuard.GitHub.Checks;
using DeployGuard.Sandbox;
using DeployGuard.Tests.Sandbox;
using DeployGuard.Tests.Support;

namespace DeployGuard.Tests.GitHub.Checks;

/// <summary>SPEC §4 step 3 over real HTTP: the real client asks the emulator whether acme/app (a real git repository) has the commit.</summary>
public sealed class CommitExistsCheckTests : IAsyncLifetime
{
    private const string Repo = GitScenario.Repository;

    private static readonly string Unknown = Hashes.Sha1("never pushed");

    private EmulatedGitHub _gh = null!;
    private GitScenario _git = null!;

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

    [Theory]
    [InlineData("a commit of the repository passes", "known", Repo, "Passed", "{known12} exists in acme/app")]
    [InlineData("a commit on an unmerged branch exists too", "wip", Repo, "Passed", "{wip12} exists in acme/app")]
    [InlineData("an unknown commit is refused", "unknown", Repo, "Failed", "commit {unknown12} does not exist in acme/app")]
    [InlineData("an unknown repository is refused", "known", "acme/gone", "Failed", "commit {known12} does not exist in acme/gone")]
    [InlineData("a branch name is not a commit id", "main", Repo, "Failed", "'main' is not a commit id in acme/app: GitHub resolved it to {known12} (a branch or tag name?)")]
    public async Task EvaluateAsync_GitHubsAnswer_DecidesPassOrFail(string @case, string commit, string repository, string expected, string reason)
    {
        var sha = commit switch
        {
            "known" => _git.Squash,
            "wip" => _git.Wip1,
            "unknown" => Unknown,
            _ => commit,
        };

        var result = await CreateCheck().EvaluateAsync(repository, sha, CancellationToken.None);

        result.GetType().Name.ShouldBe(expected, @case);
        var text = result switch
        {
            CheckResult.Passed p => p.Summary,
            CheckResult.Failed f => f.Reason,
            _ => result.ToString(),
        };
        text.ShouldBe(
            reason.Replace("{known12}", _git.Squash[..12], StringComparison.Ordinal)
                .Replace("{wip12}", _git.Wip1[..12], StringComparison.Ordinal)
                .Replace("{unknown12}", Unknown[..12], StringComparison.Ordinal),
            @case);
    }

    [Theory]
    [InlineData("GitHub answers 500", 500)]
    [InlineData("the token lacks a permission (403)", 403)]
    public async Task EvaluateAsync_GitHubFails_CannotVerifyAndWaits(string @case, int status)
    {
        _gh.Emulator.Faults.Add("GET", $"/repos/{Repo}/commits/", new EmulatorFault(status, Times: 100));

        var result = await CreateCheck(o => o.MaxRetryAttempts = 0).EvaluateAsync(Repo, _git.Squash, CancellationToken.None);

        var cannot = result.ShouldBeOfType<CheckResult.CannotVerify>(@case);
        cannot.Reason.ShouldStartWith($"cannot check that commit {_git.Squash[..12]} exists: ");
        cannot.Reason.ShouldContain(status.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private CommitExistsCheck CreateCheck(Action<GitHubClientOptions>? configure = null) =>
        new(_gh.CreateClient(configure), _gh.Logs.CreateLogger<CommitExistsCheck>());
}
