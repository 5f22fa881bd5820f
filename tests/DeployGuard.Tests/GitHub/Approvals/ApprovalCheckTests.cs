using System.Text;
using DeployGuard.Core.DeployFiles;
using DeployGuard.Core.Intents;
using DeployGuard.Core.Policy;
using DeployGuard.Git;
using DeployGuard.GitHub;
using DeployGuard.GitHub.Approvals;
using DeployGuard.Sandbox;
using DeployGuard.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DeployGuard.Tests.GitHub.Approvals;

/// <summary>
/// The approval check end to end: a real deploy repository and app repository in git, the
/// sandbox emulator as GitHub over loopback HTTP, and the real client composed as the service does.
/// </summary>
public sealed class ApprovalCheckTests : IAsyncLifetime
{
    private const string Token = "ghp_ApprovalCheckTestsToken000000000000";
    private const string DeployRepo = "acme/deploy";

    private const string Policy = """
        version: 1
        admins: ["@acme/platform"]
        environments:
          staging: {}
          production:
            min_approvals: 2
            required_reviewers: ["@acme/ops"]
            independent_review: true
        apps:
          app:
            repository: acme/app
            pipeline: { type: command, command: ["./deploy.sh"] }
        """;

    private readonly TestRepo _deploy = TestRepo.Create();
    private readonly TestRepo _app = TestRepo.Create();
    private GitHubEmulator _github = null!;
    private ServiceProvider _services = null!;
    private GitDeployRepository _git = null!;
    private string _seed = "";
    private string _appOld = "";
    private string _appNew = "";

    public async Task InitializeAsync()
    {
        // The app's history: frank and alice wrote the commits between what runs and what deploys.
        _appOld = _app.CommitFiles("v1", ("src/a.txt", "1"));
        _app.Write("src/a.txt", "2").Git("add", "-A");
        _app.Git("commit", "--quiet", "-m", "frank's feature", "--author=Frank <frank@acme.example>");
        _app.Git("commit", "--quiet", "--allow-empty", "-m", "alice's change", "--author=Alice <alice@acme.example>");
        _appNew = _app.Head();

        _seed = _deploy.CommitFiles("seed", ("deployguard.yml", Policy), ("production/app.deploy", Hashes.DeployFile(_appOld)), ("staging/app.deploy", Hashes.DeployFile(_appOld)));

        _github = await GitHubEmulator.StartAsync();
        _github.State.AddToken(Token);
        _github.State.AddRepository(DeployRepo, _deploy.Path);
        _github.State.AddRepository("acme/app", _app.Path);
        _github.State.MapEmail("frank@acme.example", "frank");
        _github.State.MapEmail("alice@acme.example", "alice");
        foreach (var (user, permission) in new[] { ("alice", "write"), ("bob", "write"), ("dave", "admin"), ("erin", "read"), ("carol", "write") })
        {
            _github.State.SetPermission(DeployRepo, user, permission);
        }

        _github.State.AddTeamMember("acme", "ops", "bob");
        _github.State.AddTeamMember("acme", "platform", "dave");

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DeployGuard:GitHub:ApiUrl"] = _github.ApiUrl.AbsoluteUri,
            ["DeployGuard:GitHub:Token"] = Token,
            ["DeployGuard:GitHub:MaxRetryAttempts"] = "1",
            ["DeployGuard:GitHub:RetryBaseDelay"] = "00:00:00.010",
        }).Build();
        _services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddGitHubClient()
            .AddSingleton<ApprovalCheck>()
            .BuildServiceProvider();
        _git = new GitDeployRepository(_deploy.Path, new GitCli());
    }

    public async Task DisposeAsync()
    {
        await _git.DisposeAsync();
        await _services.DisposeAsync();
        await _github.DisposeAsync();
        _deploy.Dispose();
        _app.Dispose();
    }

    /// <summary>Opens a PR that deploys <paramref name="commit"/> to production and merges it the given way.</summary>
    private (string Merged, int Number, string Head) MergePullRequest(string commit, string how = "merge", string baseRef = "main", params (string Path, string Content)[] extra)
    {
        _deploy.Checkout("main");
        var branch = $"pr-{Guid.NewGuid():N}"[..12];
        _deploy.Checkout(branch, create: true);
        var head = _deploy.CommitFiles("deploy", [("production/app.deploy", Hashes.DeployFile(commit) + Hashes.DeployFile(_appOld)), .. extra]);
        _deploy.Checkout("main");
        var merged = how == "squash" ? _deploy.SquashMerge(branch) : _deploy.MergeNoFf(branch);
        var number = _github.State.AddPullRequest(DeployRepo, new PullRequestSeed("carol", branch, head, baseRef, _seed)
        {
            State = "closed",
            Merged = true,
            MergeCommitSha = merged,
            MergedAt = DateTimeOffset.UtcNow,
        });
        return (merged, number, head);
    }

    private void Review(int number, string user, string state, string commit) =>
        _github.State.AddReview(DeployRepo, number, new ReviewSeed(user, state, commit));

    private async Task<ApprovalOutcome> CheckAsync(string deployCommit)
    {
        var detection = await new IntentDetector(_git, new DeployLayout()).DetectAsync("refs/heads/main", _seed, CancellationToken.None);
        var intent = detection.ShouldBeOfType<Detection.Pending>().Set.Active.Single(i => i.DeployCommit == deployCommit);
        var policyFile = await _git.ReadFileAsync(intent.PolicyCommit!, "deployguard.yml", 1 << 20, CancellationToken.None);
        var policy = PolicyParser.Parse(Encoding.UTF8.GetString(policyFile!.Head.Span)).Policy!;
        return await _services.GetRequiredService<ApprovalCheck>()
            .EvaluateAsync(new ApprovalRequest(intent, policy, DeployRepo, "main"), CancellationToken.None);
    }

    [Theory]
    [InlineData("merge")]
    [InlineData("squash")]
    public async Task ProperlyReviewedMergedPullRequest_IsApproved(string how)
    {
        var (merged, number, head) = MergePullRequest(_appNew, how);
        Review(number, "bob", "APPROVED", head);
        Review(number, "dave", "APPROVED", head);

        var decided = (await CheckAsync(merged)).ShouldBeOfType<ApprovalOutcome.Decided>();

        decided.PullRequest!.Number.ShouldBe(number);
        decided.Decision.Reasons.ShouldBeEmpty();
        decided.Decision.Approved.ShouldBeTrue();
        decided.Decision.Summary.ShouldBe("2 of 2 approvals");
    }

    [Fact]
    public async Task ApproverWhoAuthoredADeployedAppCommit_DoesNotCount_IndependentReview()
    {
        var (merged, number, head) = MergePullRequest(_appNew);
        Review(number, "alice", "APPROVED", head);
        Review(number, "bob", "APPROVED", head);

        var decision = (await CheckAsync(merged)).ShouldBeOfType<ApprovalOutcome.Decided>().Decision;

        decision.Approved.ShouldBeFalse();
        decision.Reviewers.Single(r => r.Reviewer == "alice").WhyNot.ShouldBe("authored commits being deployed (independent review)");
        decision.Reasons.ShouldContain("1 of 2 required approvals");
    }

    [Fact]
    public async Task PullRequestMergedIntoAnotherBranch_IsNoReview_DirectPushRefused()
    {
        var (merged, number, head) = MergePullRequest(_appNew, baseRef: "release");
        Review(number, "bob", "APPROVED", head);
        Review(number, "dave", "APPROVED", head);

        var decision = (await CheckAsync(merged)).ShouldBeOfType<ApprovalOutcome.Decided>().Decision;

        decision.Approved.ShouldBeFalse();
        decision.Reasons.ShouldBe([ApprovalEvaluatorDirectPush]);
    }

    [Fact]
    public async Task DirectPushWithAClosedUnmergedPullRequestForTheSameCommit_IsRefused()
    {
        _deploy.Checkout("main");
        var pushed = _deploy.CommitFiles("pushed straight to main", ("production/app.deploy", Hashes.DeployFile(_appNew) + Hashes.DeployFile(_appOld)));
        _github.State.AddPullRequest(DeployRepo, new PullRequestSeed("carol", "abandoned", pushed, "main", _seed) { State = "closed" });

        var decision = (await CheckAsync(pushed)).ShouldBeOfType<ApprovalOutcome.Decided>().Decision;

        decision.Reasons.ShouldBe([ApprovalEvaluatorDirectPush]);
    }

    [Fact]
    public async Task SeveralAssociatedPullRequests_TheOneMergedIntoTheWatchedBranchIsJudged()
    {
        var (merged, number, head) = MergePullRequest(_appNew);
        Review(number, "bob", "APPROVED", head);
        Review(number, "dave", "APPROVED", head);

        // The same commit is also the head of an abandoned PR and was merged into a release branch
        // by a PR nobody reviewed: neither may stand in for the real review, or replace it.
        var abandoned = _github.State.AddPullRequest(DeployRepo, new PullRequestSeed("mallory", "copy", head, "main", _seed) { State = "closed" });
        var release = _github.State.AddPullRequest(DeployRepo, new PullRequestSeed("mallory", "copy", head, "release", _seed)
        {
            State = "closed", Merged = true, MergeCommitSha = merged, MergedAt = DateTimeOffset.UtcNow.AddMinutes(5),
        });

        var decided = (await CheckAsync(merged)).ShouldBeOfType<ApprovalOutcome.Decided>();

        decided.PullRequest!.Number.ShouldBe(number);
        decided.PullRequest.Number.ShouldNotBe(abandoned);
        decided.PullRequest.Number.ShouldNotBe(release);
        decided.Decision.Approved.ShouldBeTrue();
    }

    [Fact]
    public async Task PolicyLoosenedInTheSamePullRequest_DoesNotJudgeThatPullRequest()
    {
        var loosened = Policy.Replace("min_approvals: 2", "min_approvals: 0", StringComparison.Ordinal)
            .Replace("    required_reviewers: [\"@acme/ops\"]\n", "", StringComparison.Ordinal);
        var (merged, number, head) = MergePullRequest(_appNew, extra: ("deployguard.yml", loosened));
        Review(number, "bob", "APPROVED", head);

        var decision = (await CheckAsync(merged)).ShouldBeOfType<ApprovalOutcome.Decided>().Decision;

        decision.Approved.ShouldBeFalse();
        decision.Required.ShouldBe(2, "the policy before the change judges it");
        decision.Reasons.ShouldContain(r => r.Contains("needs an approval from one of the admins", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PolicyChangeApprovedByAnAdminTeamMember_IsApproved()
    {
        var (merged, number, head) = MergePullRequest(_appNew, extra: ("deployguard.yml", Policy + "# reviewed\n"));
        Review(number, "bob", "APPROVED", head);
        Review(number, "dave", "APPROVED", head);

        (await CheckAsync(merged)).ShouldBeOfType<ApprovalOutcome.Decided>().Decision.Approved.ShouldBeTrue();
    }

    [Theory]
    [InlineData("/repos/acme/deploy/commits", 500)]
    [InlineData("/repos/acme/deploy/pulls", 502)]
    [InlineData("/repos/acme/deploy/collaborators", 503)]
    [InlineData("/orgs/acme/teams", 500)]
    [InlineData("/repos/acme/app/compare", 500)]
    [InlineData("/repos/acme/deploy/pulls", 403)]
    public async Task AnyGitHubFailure_IsCannotVerify_NeverAnApproval(string path, int status)
    {
        var (merged, number, head) = MergePullRequest(_appNew);
        Review(number, "bob", "APPROVED", head);
        Review(number, "dave", "APPROVED", head);
        _github.Faults.Add("GET", path, new EmulatorFault(status, Times: 10));

        var outcome = await CheckAsync(merged);

        outcome.ShouldBeOfType<ApprovalOutcome.CannotVerify>().Reason.ShouldStartWith("cannot verify approvals:");
    }

    [Fact]
    public async Task ApprovedIntent_CostsAtMostSixGitHubCalls()
    {
        var (merged, number, head) = MergePullRequest(_appNew);
        Review(number, "bob", "APPROVED", head);
        Review(number, "dave", "APPROVED", head);
        Review(number, "erin", "COMMENTED", head);
        _github.ClearRequests();

        (await CheckAsync(merged)).ShouldBeOfType<ApprovalOutcome.Decided>().Decision.Approved.ShouldBeTrue();

        // pulls for commit, reviews, 2 permissions, 1 team membership (stops at the first member), compare.
        _github.Requests.Count.ShouldBeLessThanOrEqualTo(6, string.Join("\n", _github.Requests.Select(r => r.PathAndQuery)));
    }

    private static string ApprovalEvaluatorDirectPush => DeployGuard.Core.Approvals.ApprovalEvaluator.DirectPush;
}
