using DeployGuard.Configuration;
using DeployGuard.Controller;
using DeployGuard.Core.Ledger;
using DeployGuard.Demo;
using DeployGuard.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DeployGuard.Tests.Controller;

/// <summary>
/// SPEC §4's checks end to end: the controller in-process over a <see cref="DeployWorld"/>, with a
/// clock that keeps ticking and can be moved forward, so soak periods and freeze windows are lived
/// through rather than faked. The <c>reports</c> app's command pipeline shows what was delivered.
/// </summary>
public sealed class ChecksEndToEndTests : IAsyncLifetime
{
    /// <summary>An ordinary Tuesday morning, far from every freeze window below.</summary>
    private static readonly DateTimeOffset Tuesday = new(2026, 11, 17, 10, 0, 0, TimeSpan.Zero);

    private static readonly DateTimeOffset FreezeStart = new(2026, 12, 20, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset FreezeEnd = new(2026, 12, 21, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Inside the release freeze, with hours of it left.</summary>
    private static readonly DateTimeOffset InsideTheFreeze = FreezeStart.AddHours(8);

    private const string Production =
        "{ min_approvals: 1, promote_from: staging, min_soak: 30m, " +
        "freeze: [ { start: \"2026-12-20T00:00:00Z\", end: \"2026-12-21T00:00:00Z\", reason: \"release freeze\" } ], " +
        "risk: { extra_approval_above_commits: 50 } }";

    /// <summary>An environment whose deploys need one more approval above 50 new commits.</summary>
    private const string RiskyEnvironment = "  qa: { min_approvals: 1, risk: { extra_approval_above_commits: 50 } }\n";

    private DeployWorld _world = null!;
    private string _c1 = "";

    public async Task InitializeAsync()
    {
        _world = await DeployWorld.StartAsync();
        _c1 = _world.AppCommit("1");
    }

    public async Task DisposeAsync() => await _world.DisposeAsync();

    [Fact]
    public async Task ProductionBeforeStaging_IsRefused()
    {
        using var controller = await StartAsync(Tuesday, ("staging/reports.deploy", DeployFile(_c1)), ("production/reports.deploy", DeployFile(_c1)));
        var c2 = GreenCommit("2");
        var (merge, _) = _world.MergeApproved([("production/reports.deploy", DeployFile(c2))], "alice");

        await controller.PassAsync();

        var entry = _world.Ledger()[Id("production", merge)];
        entry.Status.ShouldBe(DeployStatus.Refused);
        entry.Reason.ShouldNotBeNull().ShouldContain("has not succeeded in staging", Case.Sensitive);
        _world.CommandDeliveries.ShouldBeEmpty();
    }

    [Fact]
    public async Task StagingSucceeded10MinutesAgo_MinSoak30m_Waits_ThenDeploysOnceTheClockPasses30Minutes()
    {
        using var controller = await StartAsync(Tuesday, ("staging/reports.deploy", DeployFile(_c1)), ("production/reports.deploy", DeployFile(_c1)));
        var c2 = GreenCommit("2");
        await DeployToStagingAsync(controller, c2);

        controller.Clock.Advance(TimeSpan.FromMinutes(10));
        var (merge, _) = _world.MergeApproved([("production/reports.deploy", DeployFile(c2))], "alice");
        var soaking = await controller.PassAsync();

        soaking.Waiting.ShouldBeGreaterThanOrEqualTo(1, "a soak still running is waiting, not refused");
        _world.Ledger().ContainsKey(Id("production", merge)).ShouldBeFalse("nothing is recorded while it soaks");
        Delivered("production").ShouldBeEmpty();

        controller.Clock.Advance(TimeSpan.FromMinutes(21));
        await controller.PassAsync();

        _world.Ledger()[Id("production", merge)].Status.ShouldBe(DeployStatus.Succeeded);
        Delivered("production").ShouldBe([Id("production", merge)]);
    }

    [Fact]
    public async Task PendingChecks_Wait_ThenGreenDeploys()
    {
        using var controller = await StartAsync(Tuesday, ("staging/reports.deploy", DeployFile(_c1)));
        var c2 = GreenCommit("2");
        var run = _world.GitHub.State.AddCheckRun("acme/reports", c2, "integration", "in_progress");
        var (merge, _) = _world.MergeApproved([("staging/reports.deploy", DeployFile(c2))], "alice");

        var pending = await controller.PassAsync();

        pending.Waiting.ShouldBeGreaterThanOrEqualTo(1);
        _world.Ledger().ContainsKey(Id("staging", merge)).ShouldBeFalse("pending checks are not an outcome");
        _world.CommandDeliveries.ShouldBeEmpty();

        _world.GitHub.State.SetCheckRun("acme/reports", run, "completed", "success");
        var green = await controller.PassAsync();

        green.Triggered.ShouldBe(1);
        _world.Ledger()[Id("staging", merge)].Status.ShouldBe(DeployStatus.Succeeded);
        _world.CommandDeliveries.ShouldBe([Id("staging", merge)]);
    }

    [Fact]
    public async Task FailedCheckRun_IsRefused()
    {
        using var controller = await StartAsync(Tuesday, ("staging/reports.deploy", DeployFile(_c1)));
        var c2 = GreenCommit("2");
        _world.GitHub.State.AddCheckRun("acme/reports", c2, "e2e-suite", "completed", "failure");
        var (merge, _) = _world.MergeApproved([("staging/reports.deploy", DeployFile(c2))], "alice");

        await controller.PassAsync();

        var entry = _world.Ledger()[Id("staging", merge)];
        entry.Status.ShouldBe(DeployStatus.Refused);
        var reason = entry.Reason.ShouldNotBeNull();
        reason.ShouldContain("checks failed", Case.Sensitive);
        reason.ShouldContain("e2e-suite", Case.Sensitive);
        _world.CommandDeliveries.ShouldBeEmpty();
    }

    [Fact]
    public async Task FreezeWindowActive_Defers_ThenDeploysWhenTheClockLeavesTheWindow()
    {
        using var controller = await StartAsync(InsideTheFreeze, ("staging/reports.deploy", DeployFile(_c1)), ("production/reports.deploy", DeployFile(_c1)));
        var c2 = GreenCommit("2");
        await DeployToStagingAsync(controller, c2);
        controller.Clock.Advance(TimeSpan.FromMinutes(31));
        var (merge, _) = _world.MergeApproved([("production/reports.deploy", DeployFile(c2))], "alice");

        var frozen = await controller.PassAsync();

        frozen.Deferred.ShouldBe(1);
        var deferred = _world.Ledger()[Id("production", merge)];
        deferred.Status.ShouldBe(DeployStatus.Deferred);
        deferred.Reason.ShouldBe("deferred: production is frozen (release freeze) until 2026-12-21T00:00Z");
        Delivered("production").ShouldBeEmpty();
        var notes = NotesHead();

        controller.Clock.Advance(TimeSpan.FromHours(1));
        var stillFrozen = await controller.PassAsync();

        stillFrozen.Deferred.ShouldBe(1);
        stillFrozen.Triggered.ShouldBe(0);
        _world.Ledger()[Id("production", merge)].Status.ShouldBe(DeployStatus.Deferred);
        Delivered("production").ShouldBeEmpty();
        NotesHead().ShouldBe(notes, "a deferred intent is recorded once, not rewritten on every pass inside the window");

        controller.AdvanceTo(FreezeEnd.AddMinutes(1));
        var thawed = await controller.PassAsync();

        thawed.Triggered.ShouldBe(1);
        _world.Ledger()[Id("production", merge)].Status.ShouldBe(DeployStatus.Succeeded);
        Delivered("production").ShouldBe([Id("production", merge)]);
    }

    [Fact]
    public async Task FreezeOverride_LabelAndOneExtraApproval_Deploys_AndIsRecorded()
    {
        using var controller = await StartAsync(InsideTheFreeze, ("staging/reports.deploy", DeployFile(_c1)), ("production/reports.deploy", DeployFile(_c1)));
        var c2 = GreenCommit("2");
        var c3 = GreenCommit("3");
        await DeployToStagingAsync(controller, c2);
        await DeployToStagingAsync(controller, c3);
        controller.Clock.Advance(TimeSpan.FromMinutes(31));

        // The label with only the approvals the deploy needs anyway is no override.
        var (first, firstNumber) = _world.MergeApproved([("production/reports.deploy", DeployFile(c2))], "alice");
        Label(firstNumber);
        await controller.PassAsync();

        var deferred = _world.Ledger()[Id("production", first)];
        deferred.Status.ShouldBe(DeployStatus.Deferred);
        deferred.Reason.ShouldNotBeNull().ShouldContain("one more approval is needed for the override", Case.Sensitive);
        Delivered("production").ShouldBeEmpty();

        // A new merge, labelled, with one approval more than required.
        var (second, secondNumber) = _world.MergeApproved([("production/reports.deploy", DeployFile(c3))], "alice", "bob");
        Label(secondNumber);
        await controller.PassAsync();

        var ledger = _world.Ledger();
        ledger[Id("production", first)].Status.ShouldBe(DeployStatus.Superseded);
        var overridden = ledger[Id("production", second)];
        overridden.Status.ShouldBe(DeployStatus.Succeeded);
        overridden.ApprovedBy.ShouldBe(["alice", "bob"], ignoreOrder: true);
        Note(second).ShouldContain("Freeze-Override: yes", Case.Sensitive);
        Delivered("production").ShouldBe([Id("production", second)]);
    }

    [Fact]
    public async Task WeeklyFreeze_AcrossDstInEuropeLondon()
    {
        // 2026-03-29 is the Sunday the UK's clocks go forward at 01:00Z: the window 00:30–03:00 local
        // runs 00:30Z (GMT) to 02:00Z (BST). Reading the times as UTC would keep it frozen until 03:00Z.
        const string live =
            "{ min_approvals: 1, freeze: [ { days: [sun], from: \"00:30\", to: \"03:00\", timezone: \"Europe/London\", reason: \"weekly maintenance\" } ] }";
        using var controller = await StartAsync(
            new DateTimeOffset(2026, 3, 29, 1, 30, 0, TimeSpan.Zero), $"  live: {live}\n", ("live/reports.deploy", DeployFile(_c1)));
        var c2 = GreenCommit("2");
        var (merge, _) = _world.MergeApproved([("live/reports.deploy", DeployFile(c2))], "alice");

        var frozen = await controller.PassAsync();

        frozen.Deferred.ShouldBe(1, "01:30Z is 02:30 BST, inside the window");
        var deferred = _world.Ledger()[Id("live", merge)];
        deferred.Status.ShouldBe(DeployStatus.Deferred);
        deferred.Reason.ShouldBe("deferred: live is frozen (weekly maintenance) until 2026-03-29T02:00Z");
        _world.CommandDeliveries.ShouldBeEmpty();

        controller.AdvanceTo(new DateTimeOffset(2026, 3, 29, 2, 0, 0, TimeSpan.Zero));
        var open = await controller.PassAsync();

        open.Triggered.ShouldBe(1, "02:00Z is 03:00 BST, the end of the window");
        _world.Ledger()[Id("live", merge)].Status.ShouldBe(DeployStatus.Succeeded);
        _world.CommandDeliveries.ShouldBe([Id("live", merge)]);
    }

    [Fact]
    public async Task RollbackToAnOlderMainCommit_IsDeployed_AndFlagged()
    {
        using var controller = await StartAsync(Tuesday, ("staging/reports.deploy", DeployFile(_c1)));
        var c2 = GreenCommit("2");
        var c3 = GreenCommit("3");
        var forward = await DeployToStagingAsync(controller, c3);
        _world.Ledger()[Id("staging", forward)].Rollback.ShouldBeFalse();

        var (back, _) = _world.MergeApproved([("staging/reports.deploy", DeployFile(c2))], "alice");
        await controller.PassAsync();

        var entry = _world.Ledger()[Id("staging", back)];
        entry.Status.ShouldBe(DeployStatus.Succeeded);
        entry.Commit.ShouldBe(c2);
        entry.Rollback.ShouldBeTrue();
        Note(back).ShouldContain("Rollback: yes", Case.Sensitive);
        _world.CommandDeliveries.ShouldBe([Id("staging", forward), Id("staging", back)]);
    }

    [Fact]
    public async Task FiftyOneNewCommits_NeedOneMoreApproval()
    {
        using var controller = await StartAsync(Tuesday, RiskyEnvironment, ("qa/reports.deploy", DeployFile(_c1)));
        var c52 = NewCommits(51);

        var (refused, _) = _world.MergeApproved([("qa/reports.deploy", DeployFile(c52))], "alice");
        await controller.PassAsync();

        var entry = _world.Ledger()[Id("qa", refused)];
        entry.Status.ShouldBe(DeployStatus.Refused);
        entry.Reason.ShouldBe("1 of 2 required approvals (min_approvals 1 + 1 extra)");
        _world.CommandDeliveries.ShouldBeEmpty();

        // A deploy file whose first token does not change is no new intent, so the same commit is
        // proposed again the way an operator would: the file back to c1, then forward with two
        // approvals. Both land before the next pass; the newer supersedes the older.
        var (back, _) = _world.MergeApproved([("qa/reports.deploy", DeployFile(_c1))], "alice");
        var (approved, _) = _world.MergeApproved([("qa/reports.deploy", DeployFile(c52))], "alice", "bob");
        await controller.PassAsync();

        var ledger = _world.Ledger();
        ledger[Id("qa", back)].Status.ShouldBe(DeployStatus.Superseded);
        ledger[Id("qa", approved)].Status.ShouldBe(DeployStatus.Succeeded);
        ledger[Id("qa", approved)].ApprovedBy.ShouldBe(["alice", "bob"], ignoreOrder: true);
        Note(approved).ShouldContain("New-Commits: 51", Case.Sensitive);
        _world.CommandDeliveries.ShouldBe([Id("qa", approved)]);
    }

    [Fact]
    public async Task FiftyNewCommits_OneApproval_Deploys()
    {
        using var controller = await StartAsync(Tuesday, RiskyEnvironment, ("qa/reports.deploy", DeployFile(_c1)));
        var c51 = NewCommits(50);

        var (merge, _) = _world.MergeApproved([("qa/reports.deploy", DeployFile(c51))], "alice");
        await controller.PassAsync();

        _world.Ledger()[Id("qa", merge)].Status.ShouldBe(DeployStatus.Succeeded);
        Note(merge).ShouldContain("New-Commits: 50", Case.Sensitive);
        _world.CommandDeliveries.ShouldBe([Id("qa", merge)]);
    }

    /// <summary>
    /// Regression: with no success recorded yet, the deployed commit is the baseline's, not the
    /// previous (refused) one; else a refused 51-commit jump plus one commit looked like one commit.
    /// </summary>
    [Fact]
    public async Task RefusedJump_ThenOneMoreCommit_StillCountsFromTheDeployedCommit()
    {
        using var controller = await StartAsync(Tuesday, RiskyEnvironment, ("qa/reports.deploy", DeployFile(_c1)));
        var c52 = NewCommits(51);
        var (refused, _) = _world.MergeApproved([("qa/reports.deploy", DeployFile(c52))], "alice");
        await controller.PassAsync();
        _world.Ledger()[Id("qa", refused)].Status.ShouldBe(DeployStatus.Refused);

        var c53 = GreenCommit("53");
        var (next, _) = _world.MergeApproved([("qa/reports.deploy", DeployFile(c53))], "alice");
        await controller.PassAsync();

        var entry = _world.Ledger()[Id("qa", next)];
        entry.Status.ShouldBe(DeployStatus.Refused, "52 commits since the deployed c1 need two approvals; c52 was never deployed");
        entry.Reason.ShouldBe("1 of 2 required approvals (min_approvals 1 + 1 extra)");
        _world.CommandDeliveries.ShouldBeEmpty();
    }

    [Fact]
    public async Task MissingCommit_IsRefused()
    {
        using var controller = await StartAsync(Tuesday, ("staging/reports.deploy", DeployFile(_c1)));
        var (merge, _) = _world.MergeApproved([("staging/reports.deploy", DeployFile(Hashes.Sha1("never pushed")))], "alice");

        await controller.PassAsync();

        var entry = _world.Ledger()[Id("staging", merge)];
        entry.Status.ShouldBe(DeployStatus.Refused);
        entry.Reason.ShouldNotBeNull().ShouldContain("does not exist", Case.Sensitive);
        _world.CommandDeliveries.ShouldBeEmpty();
    }

    [Fact]
    public async Task RefusedProductionDeploy_ListsEveryFailingCheck()
    {
        using var controller = await StartAsync(Tuesday, ("staging/reports.deploy", DeployFile(_c1)), ("production/reports.deploy", DeployFile(_c1)));
        _world.App.Checkout("feature", create: true);
        var feature = _world.App.CommitFiles("feature work", ("src/feature.txt", "unreviewed"));
        _world.App.Checkout("main");
        _world.GitHub.State.AddStatus("acme/reports", feature, "ci/build", "success");
        _world.GitHub.State.AddCheckRun("acme/reports", feature, "unit-tests", "completed", "failure");
        var (merge, _) = _world.MergeApproved([("production/reports.deploy", DeployFile(feature))]);

        await controller.PassAsync();

        var entry = _world.Ledger()[Id("production", merge)];
        entry.Status.ShouldBe(DeployStatus.Refused);
        var reason = entry.Reason.ShouldNotBeNull();
        reason.ShouldContain("not on the release branch", Case.Sensitive);
        reason.ShouldContain("has not succeeded in staging", Case.Sensitive);
        reason.ShouldContain("0 of 1 required approvals", Case.Sensitive);
        reason.ShouldContain("checks failed", Case.Sensitive);
        reason.ShouldContain("unit-tests", Case.Sensitive);
        _world.CommandDeliveries.ShouldBeEmpty();
    }

    private Task<ClockedController> StartAsync(DateTimeOffset at, params (string Path, string Content)[] files) => StartAsync(at, "", files);

    /// <summary>
    /// Seeds the deploy repository with the policy of these tests (plus <paramref name="environments"/>, indented
    /// YAML lines under <c>environments:</c>) and runs the first pass, which records the baseline.
    /// </summary>
    private async Task<ClockedController> StartAsync(DateTimeOffset at, string environments, params (string Path, string Content)[] files)
    {
        _world.CustomPolicy =
            "version: 1\n" +
            "defaults:\n" +
            "  require_checks: true\n" +
            "environments:\n" +
            "  staging: {}\n" +
            $"  production: {Production}\n" +
            environments +
            _world.Apps;
        _world.Seed(files);
        var controller = ClockedController.Start(_world, at);
        var baseline = await controller.PassAsync();
        baseline.Settled.ShouldBeTrue();
        _world.Ledger().ShouldBeEmpty("history is never replayed");
        return controller;
    }

    /// <summary>Merges an approved deploy of <paramref name="commit"/> to staging and runs it to success.</summary>
    private async Task<string> DeployToStagingAsync(ClockedController controller, string commit)
    {
        var (merge, _) = _world.MergeApproved([("staging/reports.deploy", DeployFile(commit))], "alice");
        await controller.PassAsync();
        var entry = _world.Ledger()[Id("staging", merge)];
        entry.Status.ShouldBe(DeployStatus.Succeeded, entry.Reason);
        return merge;
    }

    /// <summary>An app commit on main whose CI is green, as the <c>reports</c> app sees it.</summary>
    private string GreenCommit(string content)
    {
        var commit = _world.AppCommit(content);
        _world.GitHub.State.AddStatus("acme/reports", commit, "ci/build", "success");
        return commit;
    }

    /// <summary><paramref name="count"/> app commits on main; the last one, green, is returned.</summary>
    private string NewCommits(int count)
    {
        for (var i = 2; i <= count; i++)
        {
            _world.AppCommit($"{i}");
        }

        return GreenCommit($"{count + 1}");
    }

    private void Label(int number) =>
        _world.GitHub.State.SetPullRequest("acme/deploy", number, seed => seed with { Labels = ["deployguard/freeze-override"] });

    private string Note(string deployCommit) => _world.Remote.Git("notes", "--ref=deployguard", "show", deployCommit);

    private string NotesHead() => _world.Remote.Git("rev-parse", "refs/notes/deployguard");

    private List<string> Delivered(string environment) =>
        _world.CommandDeliveries.Where(id => id.StartsWith($"{environment}.", StringComparison.Ordinal)).ToList();

    private static string Id(string environment, string deployCommit) => $"{environment}.reports.{deployCommit[..12]}";

    private static string DeployFile(string commit) => Hashes.DeployFile(commit);
}

/// <summary>
/// The controller's host built in-process, as <c>run</c> builds it, with a <see cref="DemoClock"/>: real time
/// shifted to a chosen instant and movable forward. A frozen clock would not do: retry delays and pipeline
/// timeouts must still elapse.
/// </summary>
internal sealed class ClockedController : IDisposable
{
    private static readonly TimeSpan PassTimeout = TimeSpan.FromMinutes(2);

    private readonly IHost _host;
    private readonly Reconciler _reconciler;

    private ClockedController(IHost host, DemoClock clock)
    {
        _host = host;
        Clock = clock;
        _reconciler = host.Services.GetRequiredService<Reconciler>();
    }

    public DemoClock Clock { get; }

    public static ClockedController Start(DeployWorld world, DateTimeOffset at)
    {
        var clock = new DemoClock(at);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddCommandLine(world.Switches());
        builder.Services.AddDeployGuard(builder.Configuration);
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.Logging.ClearProviders();
        return new ClockedController(builder.Build(), clock);
    }

    /// <summary>Moves the clock forward to <paramref name="instant"/> (it keeps ticking from there).</summary>
    public void AdvanceTo(DateTimeOffset instant)
    {
        var by = instant - Clock.GetUtcNow();
        if (by > TimeSpan.Zero)
        {
            Clock.Advance(by);
        }
    }

    public async Task<PassResult> PassAsync()
    {
        using var timeout = new CancellationTokenSource(PassTimeout);
        return await _reconciler.RunPassAsync(timeout.Token);
    }

    public void Dispose() => _host.Dispose();
}
