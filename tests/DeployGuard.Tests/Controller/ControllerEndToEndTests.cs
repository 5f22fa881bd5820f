using DeployGuard.Core.Ledger;
using DeployGuard.Tests.Support;

namespace DeployGuard.Tests.Controller;

/// <summary>
/// The controller end to end (issue 4 acceptance): <c>deployguard run --once</c> in-process, over
/// real git (a bare remote deploy repository, an app repository) and real HTTP (the GitHub
/// emulator, a loopback webhook receiver), with a real command pipeline.
/// </summary>
public sealed class ControllerEndToEndTests : IAsyncLifetime
{
    private DeployWorld _world = null!;
    private string _c1 = "";

    public async Task InitializeAsync()
    {
        _world = await DeployWorld.StartAsync();
        _c1 = _world.AppCommit("1");
    }

    public async Task DisposeAsync() => await _world.DisposeAsync();

    private static string DeployFile(params string[] commits) => string.Concat(commits.Select(c => Hashes.DeployFile(c)));

    /// <summary>Seeds the deploy repository and records the baseline, as a first start does.</summary>
    private async Task BaselineAsync(params (string Path, string Content)[] files)
    {
        _world.Seed(files);
        var first = await _world.RunOnceAsync();
        first.ExitCode.ShouldBe(0, first.Error);
    }

    [Fact]
    public async Task FirstStart_RecordsTheBaseline_AndDeploysNothing()
    {
        _world.Seed(("staging/app.deploy", DeployFile(_c1)));

        var result = await _world.RunOnceAsync();

        result.ExitCode.ShouldBe(0, result.Error);
        _world.GitHub.State.WorkflowRuns("acme/app").ShouldBeEmpty("history is never replayed");
        _world.Remote.Git("log", "-1", "--format=%B", "refs/notes/deployguard").ShouldContain($"DeployGuard-Checkpoint: {_world.Remote.Git("rev-parse", "main")}");
    }

    [Fact]
    public async Task ApprovedStagingDeploy_IsTriggeredOnce_Succeeds_AndReadsWithPlainGitLog()
    {
        await BaselineAsync(("staging/app.deploy", DeployFile(_c1)));
        var c2 = _world.AppCommit("2");
        var (merge, number) = _world.MergeApproved([("staging/app.deploy", DeployFile(c2, _c1))], "alice");

        var result = await _world.RunOnceAsync();
        var again = await _world.RunOnceAsync();

        result.ExitCode.ShouldBe(0, result.Error);
        again.ExitCode.ShouldBe(0, again.Error);
        var deployId = $"staging.app.{merge[..12]}";
        var run = _world.GitHub.State.WorkflowRuns("acme/app").ShouldHaveSingleItem("triggered once, also across a second run");
        run.Inputs.ShouldContain(new KeyValuePair<string, string>("deploy_id", deployId));
        run.Inputs.ShouldContain(new KeyValuePair<string, string>("commit", c2));
        run.Inputs.ShouldContain(new KeyValuePair<string, string>("previous_commit", _c1));
        run.DisplayTitle.ShouldContain(deployId);

        var log = _world.Remote.Git("log", "--notes=deployguard", "--", "staging/app.deploy");
        log.ShouldContain($"Deploy-Id: {deployId}");
        log.ShouldContain("Status: succeeded");
        log.ShouldContain($"Commit: {c2}");
        log.ShouldContain($"Pull-Request: #{number}");
        log.ShouldContain("Approved-By: alice");
        log.ShouldContain("Pipeline: github-actions acme/app deploy.yml");
        log.ShouldContain($"Run: {_world.GitHub.ApiUrl.GetLeftPart(UriPartial.Authority)}");
    }

    [Fact]
    public async Task UnapprovedDeploy_IsRefusedWithItsReasons_AndNothingIsTriggered()
    {
        await BaselineAsync(("staging/app.deploy", DeployFile(_c1)));
        var (merge, _) = _world.MergeApproved([("staging/app.deploy", DeployFile(_world.AppCommit("2"), _c1))]);

        var result = await _world.RunOnceAsync();

        result.ExitCode.ShouldBe(0, "a refusal is an outcome");
        _world.GitHub.State.WorkflowRuns("acme/app").ShouldBeEmpty();
        var entry = _world.Ledger()[$"staging.app.{merge[..12]}"];
        entry.Status.ShouldBe(DeployStatus.Refused);
        entry.Reason.ShouldBe("0 of 1 required approvals");
    }

    [Fact]
    public async Task DirectPush_IsRefusedAsUnreviewed()
    {
        await BaselineAsync(("staging/app.deploy", DeployFile(_c1)));
        var pushed = _world.DirectPush(("staging/app.deploy", DeployFile(_world.AppCommit("2"), _c1)));

        await _world.RunOnceAsync();

        var entry = _world.Ledger()[$"staging.app.{pushed[..12]}"];
        entry.Status.ShouldBe(DeployStatus.Refused);
        entry.Reason!.ShouldContain("direct push without review");
        _world.GitHub.State.WorkflowRuns("acme/app").ShouldBeEmpty();
    }

    [Fact]
    public async Task ThreeMergesWhileStopped_OneTrigger_TwoSuperseded()
    {
        await BaselineAsync(("staging/app.deploy", DeployFile(_c1)));
        var c2 = _world.AppCommit("2");
        var c3 = _world.AppCommit("3");
        var c4 = _world.AppCommit("4");
        var (m2, _) = _world.MergeApproved([("staging/app.deploy", DeployFile(c2, _c1))], "alice");
        var (m3, _) = _world.MergeApproved([("staging/app.deploy", DeployFile(c3, c2, _c1))], "alice");
        var (m4, _) = _world.MergeApproved([("staging/app.deploy", DeployFile(c4, c3, c2, _c1))], "alice");

        var result = await _world.RunOnceAsync();

        result.ExitCode.ShouldBe(0, result.Error);
        var run = _world.GitHub.State.WorkflowRuns("acme/app").ShouldHaveSingleItem();
        run.Inputs.ShouldContain(new KeyValuePair<string, string>("commit", c4));
        var ledger = _world.Ledger();
        ledger[$"staging.app.{m2[..12]}"].Status.ShouldBe(DeployStatus.Superseded);
        ledger[$"staging.app.{m3[..12]}"].Status.ShouldBe(DeployStatus.Superseded);
        ledger[$"staging.app.{m3[..12]}"].Reason.ShouldBe($"superseded by staging.app.{m4[..12]}");
        ledger[$"staging.app.{m4[..12]}"].Status.ShouldBe(DeployStatus.Succeeded);
    }

    [Fact]
    public async Task Deletion_IsRecordedRemoved_WithoutAPipeline()
    {
        await BaselineAsync(("staging/app.deploy", DeployFile(_c1)), ("staging/reports.deploy", DeployFile(_c1)));
        var (merge, _) = _world.MergeApproved([("staging/reports.deploy", null)], "alice");

        var result = await _world.RunOnceAsync();

        result.ExitCode.ShouldBe(0, result.Error);
        var entry = _world.Ledger()[$"staging.reports.{merge[..12]}"];
        entry.Status.ShouldBe(DeployStatus.Removed);
        entry.PreviousCommit.ShouldBe(_c1);
        _world.CommandDeliveries.ShouldBeEmpty();
    }

    [Fact]
    public async Task CommentOnlyEdit_IsNoDeploy_AndTheCheckpointMovesOn()
    {
        await BaselineAsync(("staging/app.deploy", DeployFile(_c1)));
        var (merge, _) = _world.MergeApproved([("staging/app.deploy", Hashes.DeployFile(_c1, "Deploy, now with a better note"))], "alice");

        var result = await _world.RunOnceAsync();

        result.ExitCode.ShouldBe(0, result.Error);
        _world.Ledger().ShouldBeEmpty();
        _world.GitHub.State.WorkflowRuns("acme/app").ShouldBeEmpty();
        _world.Remote.Git("log", "-1", "--format=%B", "refs/notes/deployguard").ShouldContain($"DeployGuard-Checkpoint: {merge}");
    }

    [Fact]
    public async Task MergeCommit_IsDeployed_AndReadsWithFirstParentLog()
    {
        await BaselineAsync(("staging/app.deploy", DeployFile(_c1)));
        var c2 = _world.AppCommit("2");
        var (merge, _) = _world.Merge([("staging/app.deploy", DeployFile(c2, _c1))], squash: false, "alice");

        await _world.RunOnceAsync();

        _world.Remote.Git("log", "--first-parent", "--notes=deployguard", "--", "staging/app.deploy").ShouldContain($"Deploy-Id: staging.app.{merge[..12]}");
        _world.Ledger()[$"staging.app.{merge[..12]}"].Status.ShouldBe(DeployStatus.Succeeded);
    }

    [Fact]
    public async Task Webhook_IsSignedAndKeyedByDeployId_AndSucceeds()
    {
        await BaselineAsync(("staging/billing.deploy", DeployFile(_c1)));
        var c2 = _world.AppCommit("2");
        var (merge, _) = _world.MergeApproved([("staging/billing.deploy", DeployFile(c2, _c1))], "alice");

        await _world.RunOnceAsync();

        var delivery = _world.Hooks.Deliveries.ShouldHaveSingleItem();
        delivery.SignatureValid.ShouldBeTrue();
        delivery.IdempotencyKey.ShouldBe($"staging.billing.{merge[..12]}");
        delivery.Values["commit"].ShouldBe(c2);
        _world.Ledger()[$"staging.billing.{merge[..12]}"].Status.ShouldBe(DeployStatus.Succeeded);
    }

    [Fact]
    public async Task Webhook500_IsRetried_ThenSucceeds()
    {
        await BaselineAsync(("staging/billing.deploy", DeployFile(_c1)));
        var (merge, _) = _world.MergeApproved([("staging/billing.deploy", DeployFile(_world.AppCommit("2"), _c1))], "alice");
        _world.Hooks.FailNext(1, 500);

        await _world.RunOnceAsync();

        _world.Hooks.Deliveries.Select(d => d.StatusCode).ShouldBe([500, 200]);
        _world.Hooks.DistinctDeployIds.ShouldBe(1);
        _world.Ledger()[$"staging.billing.{merge[..12]}"].Status.ShouldBe(DeployStatus.Succeeded);
    }

    [Fact]
    public async Task WebhookFailingForGood_IsRecordedFailed_WithTheReason()
    {
        await BaselineAsync(("staging/billing.deploy", DeployFile(_c1)));
        var (merge, _) = _world.MergeApproved([("staging/billing.deploy", DeployFile(_world.AppCommit("2"), _c1))], "alice");
        _world.Hooks.SetStatus("/billing", 503);

        var result = await _world.RunOnceAsync();

        result.ExitCode.ShouldBe(0, "a failed deploy is an outcome, recorded");
        var entry = _world.Ledger()[$"staging.billing.{merge[..12]}"];
        entry.Status.ShouldBe(DeployStatus.Failed);
        entry.Reason!.ShouldContain("503");
    }

    [Fact]
    public async Task CommandTimeout_IsRecordedFailed()
    {
        await BaselineAsync(("staging/reports.deploy", DeployFile(_c1)));
        File.WriteAllText(_world.Script, "#!/bin/sh\nsleep 60\n");
        var (merge, _) = _world.MergeApproved([("staging/reports.deploy", DeployFile(_world.AppCommit("2"), _c1))], "alice");

        await _world.RunOnceAsync();

        var entry = _world.Ledger()[$"staging.reports.{merge[..12]}"];
        entry.Status.ShouldBe(DeployStatus.Failed);
        entry.Reason!.ShouldContain("timed out");
    }

    [Fact]
    public async Task FailedWorkflowRun_IsRecordedFailed_WithTheRun()
    {
        await BaselineAsync(("staging/app.deploy", DeployFile(_c1)));
        _world.GitHub.State.AddWorkflow("acme/app", "deploy.yml", new DeployGuard.Sandbox.WorkflowSeed { Conclusion = "failure", PollsBeforeCompletion = 1 });
        var (merge, _) = _world.MergeApproved([("staging/app.deploy", DeployFile(_world.AppCommit("2"), _c1))], "alice");

        var result = await _world.RunOnceAsync();

        result.ExitCode.ShouldBe(0, result.Error);
        var entry = _world.Ledger()[$"staging.app.{merge[..12]}"];
        entry.Status.ShouldBe(DeployStatus.Failed);
        entry.Run.ShouldNotBeNull();
        entry.Reason!.ShouldContain("failure");
    }

    [Fact]
    public async Task GitHubDown_TheIntentWaits_ThenDeploysOnceItRecovers()
    {
        await BaselineAsync(("staging/reports.deploy", DeployFile(_c1)));
        var (merge, _) = _world.MergeApproved([("staging/reports.deploy", DeployFile(_world.AppCommit("2"), _c1))], "alice");
        _world.GitHub.Faults.Add("*", "/repos/acme/deploy", new DeployGuard.Sandbox.EmulatorFault(503, Times: 1000));

        var down = await _world.RunOnceAsync();

        down.ExitCode.ShouldBe(1, "an intent still waits on something that could not be checked");
        _world.Ledger().ContainsKey($"staging.reports.{merge[..12]}").ShouldBeFalse();
        _world.CommandDeliveries.ShouldBeEmpty();

        _world.GitHub.Faults.Clear();
        var up = await _world.RunOnceAsync();

        up.ExitCode.ShouldBe(0, up.Error);
        _world.CommandDeliveries.ShouldBe([$"staging.reports.{merge[..12]}"]);
        _world.Ledger()[$"staging.reports.{merge[..12]}"].Status.ShouldBe(DeployStatus.Succeeded);
    }

    [Fact]
    public async Task OneFailingIntent_DoesNotBlockTheOthers()
    {
        await BaselineAsync(("staging/billing.deploy", DeployFile(_c1)), ("staging/reports.deploy", DeployFile(_c1)));
        _world.Hooks.SetStatus("/billing", 400);
        var c2 = _world.AppCommit("2");
        var (merge, _) = _world.MergeApproved([("staging/billing.deploy", DeployFile(c2, _c1)), ("staging/reports.deploy", DeployFile(c2, _c1))], "alice");

        await _world.RunOnceAsync();

        var ledger = _world.Ledger();
        ledger[$"staging.billing.{merge[..12]}"].Status.ShouldBe(DeployStatus.Failed);
        ledger[$"staging.reports.{merge[..12]}"].Status.ShouldBe(DeployStatus.Succeeded);
        _world.Remote.Git("notes", "--ref=deployguard", "show", merge).Split("\n\n").Length.ShouldBe(2, "one note, one block per intent");
    }

    [Fact]
    public async Task TwoReplicasAtOnce_TriggerEveryIntentExactlyOnce()
    {
        await BaselineAsync(("staging/app.deploy", DeployFile(_c1)), ("staging/billing.deploy", DeployFile(_c1)), ("staging/reports.deploy", DeployFile(_c1)));
        var expected = new List<string>();
        for (var i = 2; i <= 7; i++)
        {
            var c = _world.AppCommit($"{i}");
            var app = new[] { "app", "billing", "reports" }[i % 3];
            var env = i < 5 ? "staging" : "production";
            var (merge, _) = _world.MergeApproved([($"{env}/{app}.deploy", DeployFile(c, _c1))], "alice", "bob");
            expected.Add($"{env}.{app}.{merge[..12]}");
        }

        var results = await Task.WhenAll(Task.Run(() => _world.RunOnceAsync("r1")), Task.Run(() => _world.RunOnceAsync("r2")));

        results.ShouldAllBe(r => r.ExitCode == 0 || r.ExitCode == 1, string.Join("\n", results.Select(r => r.Error)));
        var delivered = _world.GitHub.State.WorkflowRuns("acme/app").Select(r => r.Inputs.First(i => i.Key == "deploy_id").Value)
            .Concat(_world.Hooks.Deliveries.Select(d => d.IdempotencyKey!))
            .Concat(_world.CommandDeliveries)
            .ToList();
        delivered.Order(StringComparer.Ordinal).ShouldBe(expected.Order(StringComparer.Ordinal), "every intent delivered, none twice");
        var ledger = _world.Ledger();
        expected.ShouldAllBe(id => ledger[id].Status == DeployStatus.Succeeded);
    }

    [Fact]
    public async Task FeatureBranchCommit_IsRefused_NamingTheReleaseBranch_EvenWhenApproved()
    {
        await BaselineAsync(("staging/reports.deploy", DeployFile(_c1)));
        _world.App.Checkout("feature/x", create: true);
        var feature = _world.App.CommitFiles("unfinished", ("src/app.txt", "half done"));
        _world.App.Checkout("main");
        var (merge, _) = _world.MergeApproved([("staging/reports.deploy", DeployFile(feature, _c1))], "alice");

        var result = await _world.RunOnceAsync();

        result.ExitCode.ShouldBe(0, result.Error);
        var entry = _world.Ledger()[$"staging.reports.{merge[..12]}"];
        entry.Status.ShouldBe(DeployStatus.Refused);
        entry.Reason!.ShouldContain("not on the release branch main");
        _world.CommandDeliveries.ShouldBeEmpty();
    }

    [Fact]
    public async Task UnknownCommit_IsRefused()
    {
        await BaselineAsync(("staging/reports.deploy", DeployFile(_c1)));
        var (merge, _) = _world.MergeApproved([("staging/reports.deploy", DeployFile(Hashes.Sha1("never committed"), _c1))], "alice");

        await _world.RunOnceAsync();

        var entry = _world.Ledger()[$"staging.reports.{merge[..12]}"];
        entry.Status.ShouldBe(DeployStatus.Refused);
        entry.Reason!.ShouldContain("does not exist in acme/reports");
    }
}
