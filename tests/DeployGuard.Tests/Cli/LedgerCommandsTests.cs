using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using DeployGuard.Core.Ledger;
using DeployGuard.Tests.Controller;
using DeployGuard.Tests.Support;

namespace DeployGuard.Tests.Cli;

/// <summary>
/// <c>history</c>, <c>status</c> and <c>reset --to</c> (SPEC §7) over a real deploy world: a bare
/// remote, the GitHub emulator, real pipelines, and ledgers written by <c>run --once</c>.
/// </summary>
public sealed partial class LedgerCommandsTests : IAsyncLifetime
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

    private Task<CliResult> CliAsync(string command, params string[] args) => CliRunner.RunAsync([command, .. args, .. _world.Switches()]);

    /// <summary>
    /// <c>history</c> without ENV[/APP], configured by environment variables as an operator would.
    /// </summary>
    private Task<CliResult> HistoryProcessAsync(params string[] args) => CliRunner.RunProcessAsync(_world.EnvironmentFor("r1"), ["history", .. args]);

    private async Task RunOnceAsync()
    {
        var run = await _world.RunOnceAsync();
        run.ExitCode.ShouldBe(0, run.Output + run.Error);
    }

    private async Task BaselineAsync(params (string Path, string Content)[] files)
    {
        _world.Seed(files);
        await RunOnceAsync();
    }

    /// <summary>The checkpoint on the remote ledger, read with plain git.</summary>
    private string Checkpoint() =>
        _world.Remote.Git("log", "-1", "--format=%B", "refs/notes/deployguard").Split('\n')
            .Single(l => l.StartsWith("DeployGuard-Checkpoint: ", StringComparison.Ordinal))["DeployGuard-Checkpoint: ".Length..];

    /// <summary>The entry lines of text history: (key, status, deploy id), in printed order.</summary>
    private static List<(string Key, string Status, string DeployId)> Entries(CliResult result) =>
        result.OutputLines.Select(l => HistoryLine().Match(l)).Where(m => m.Success)
            .Select(m => (m.Groups["key"].Value, m.Groups["status"].Value, m.Groups["id"].Value)).ToList();

    [GeneratedRegex(@"^\d{4}-\d\d-\d\d \d\d:\d\dZ\s+(?<key>\S+)\s+(?<status>[a-z]+)\b.*\((?<id>[^()\s]+)\)$")]
    private static partial Regex HistoryLine();

    /// <summary>
    /// Five outcomes on five deploy commits, oldest first: staging/reports succeeded, staging/app
    /// refused, production/reports superseded, production/reports succeeded, staging/reports removed.
    /// </summary>
    private async Task<string[]> FiveOutcomesAsync()
    {
        await BaselineAsync(("staging/app.deploy", DeployFile(_c1)), ("staging/reports.deploy", DeployFile(_c1)), ("production/reports.deploy", DeployFile(_c1)));
        var c2 = _world.AppCommit("2");
        var c3 = _world.AppCommit("3");
        var (succeeded, _) = _world.MergeApproved([("staging/reports.deploy", DeployFile(c2, _c1))], "alice");
        var (refused, _) = _world.MergeApproved([("staging/app.deploy", DeployFile(c2, _c1))]);
        var (superseded, _) = _world.MergeApproved([("production/reports.deploy", DeployFile(c2, _c1))], "alice", "bob");
        var (newest, _) = _world.MergeApproved([("production/reports.deploy", DeployFile(c3, c2, _c1))], "alice", "bob");
        await RunOnceAsync();
        var (removed, _) = _world.MergeApproved([("staging/reports.deploy", null)], "alice");
        await RunOnceAsync();
        return
        [
            $"staging.reports.{removed[..12]}",
            $"production.reports.{newest[..12]}",
            $"production.reports.{superseded[..12]}",
            $"staging.app.{refused[..12]}",
            $"staging.reports.{succeeded[..12]}",
        ];
    }

    [Fact]
    public async Task History_ListsEveryOutcome_NewestFirst_WithReasons()
    {
        var ids = await FiveOutcomesAsync();

        var result = await HistoryProcessAsync();

        result.ExitCode.ShouldBe(0, result.Error);
        Entries(result).ShouldBe(
        [
            ("staging/reports", "removed", ids[0]),
            ("production/reports", "succeeded", ids[1]),
            ("production/reports", "superseded", ids[2]),
            ("staging/app", "refused", ids[3]),
            ("staging/reports", "succeeded", ids[4]),
        ]);
        result.Output.ShouldContain("0 of 1 required approvals", customMessage: "a refusal shows its reason");
        result.Output.ShouldContain($"superseded by {ids[1]}");
        result.Output.ShouldNotContain("No deploys recorded yet.");
    }

    [Fact]
    public async Task History_EnvironmentFilter_ShowsOnlyThatEnvironment()
    {
        var ids = await FiveOutcomesAsync();

        var result = await CliAsync("history", "staging");

        result.ExitCode.ShouldBe(0, result.Error);
        Entries(result).Select(e => e.DeployId).ShouldBe([ids[0], ids[3], ids[4]]);
    }

    [Fact]
    public async Task History_AppFilter_ShowsOnlyThatApp()
    {
        var ids = await FiveOutcomesAsync();

        var app = await CliAsync("history", "staging/app");
        var reports = await CliAsync("history", "production/reports");

        app.ExitCode.ShouldBe(0, app.Error);
        Entries(app).ShouldBe([("staging/app", "refused", ids[3])]);
        app.Output.ShouldContain("0 of 1 required approvals");
        Entries(reports).Select(e => e.DeployId).ShouldBe([ids[1], ids[2]]);
    }

    [Fact]
    public async Task History_FilterIsAnExactName_NotAPrefix()
    {
        await FiveOutcomesAsync();

        var result = await CliAsync("history", "stag");

        result.ExitCode.ShouldBe(0, result.Error);
        Entries(result).ShouldBeEmpty();
        result.Output.ShouldContain("No deploys recorded yet.");
    }

    [Fact]
    public async Task History_Limit_KeepsTheNewest()
    {
        var ids = await FiveOutcomesAsync();

        var one = await HistoryProcessAsync("--limit", "1");
        var two = await CliAsync("history", "production", "--limit", "1");

        one.ExitCode.ShouldBe(0, one.Error);
        Entries(one).Select(e => e.DeployId).ShouldBe([ids[0]]);
        Entries(two).Select(e => e.DeployId).ShouldBe([ids[1]], "the limit applies after the filter");
    }

    [Fact]
    public async Task History_WithoutFilter_KeepsConfigurationSwitches()
    {
        var ids = await FiveOutcomesAsync();

        var result = await CliAsync("history", "--limit", "1");

        result.ExitCode.ShouldBe(0, result.Error);
        Entries(result).Select(e => e.DeployId).ShouldBe([ids[0]]);
    }

    [Fact]
    public async Task History_Json_IsTheLedger_FieldForField()
    {
        var ids = await FiveOutcomesAsync();
        var ledger = _world.Ledger();

        var result = await HistoryProcessAsync("--format", "json");

        result.ExitCode.ShouldBe(0, result.Error);
        using var document = JsonDocument.Parse(result.Output);
        var items = document.RootElement.EnumerateArray().ToList();
        items.Select(i => i.GetProperty("deploy_id").GetString()).ShouldBe(ids);
        foreach (var item in items)
        {
            var id = item.GetProperty("deploy_id").GetString()!;
            var entry = ledger[id];
            item.GetProperty("status").GetString().ShouldBe(LedgerEntry.Format(entry.Status), id);
            item.GetProperty("environment").GetString().ShouldBe(entry.Environment, id);
            item.GetProperty("app").GetString().ShouldBe(entry.App, id);
            item.GetProperty("commit").GetString().ShouldBe(entry.Commit, id);
            item.GetProperty("previous_commit").GetString().ShouldBe(entry.PreviousCommit, id);
            item.GetProperty("reason").GetString().ShouldBe(entry.Reason, id);
            item.GetProperty("rollback").GetBoolean().ShouldBe(entry.Rollback, id);
            item.GetProperty("approved_by").EnumerateArray().Select(a => a.GetString()).ShouldBe(entry.ApprovedBy, id);
            item.GetProperty("at").GetString().ShouldBe(entry.At.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture), id);

            // The note hangs on the deploy commit, and the deploy id names it.
            var deployCommit = item.GetProperty("deploy_commit").GetString()!;
            deployCommit.Length.ShouldBe(40);
            id.ShouldEndWith($".{deployCommit[..12]}");
            _world.Remote.Git("notes", "--ref=deployguard", "show", deployCommit).ShouldContain($"Deploy-Id: {id}");
        }

        var succeeded = items.Single(i => i.GetProperty("deploy_id").GetString() == ids[1]);
        succeeded.GetProperty("pull_request").GetInt32().ShouldBe(ledger[ids[1]].PullRequest!.Value);
        succeeded.GetProperty("pipeline").GetString().ShouldBe($"command {_world.Script}");
        items.Single(i => i.GetProperty("deploy_id").GetString() == ids[0]).GetProperty("commit").ValueKind.ShouldBe(JsonValueKind.Null, "a removal deploys no commit");
    }

    [Theory]
    [InlineData("Staging/App!")]
    [InlineData("staging/app/extra")]
    [InlineData("staging/")]
    public async Task History_BadFilter_IsAUsageError(string filter)
    {
        await BaselineAsync(("staging/app.deploy", DeployFile(_c1)));

        var result = await CliAsync("history", filter);

        result.ExitCode.ShouldBe(2);
        result.Error.ShouldContain($"'{filter}' is not ENV or ENV/APP");
        result.Output.ShouldBeEmpty();
    }

    [Fact]
    public async Task History_LimitBelowOne_IsAUsageError()
    {
        var result = await HistoryProcessAsync("--limit", "0");

        result.ExitCode.ShouldBe(2);
        result.Error.ShouldContain("--limit must be at least 1");
    }

    [Fact]
    public async Task History_EmptyLedger_SaysSo_InTextAndJson()
    {
        _world.Seed(("staging/app.deploy", DeployFile(_c1)));
        var before = await HistoryProcessAsync();
        await RunOnceAsync();

        var text = await HistoryProcessAsync();
        var json = await HistoryProcessAsync("--format", "json");

        before.ExitCode.ShouldBe(0, before.Error);
        before.Output.Trim().ShouldBe("No deploys recorded yet.", "nothing was ever recorded, not even a baseline");
        text.ExitCode.ShouldBe(0, text.Error);
        text.Output.Trim().ShouldBe("No deploys recorded yet.", "a baseline is no deploy");
        json.ExitCode.ShouldBe(0, json.Error);
        JsonDocument.Parse(json.Output).RootElement.GetArrayLength().ShouldBe(0);
    }

    [Fact]
    public async Task Status_ShowsDesiredDeployedAndLatest_PerEnvironmentAndApp()
    {
        await BaselineAsync(("staging/app.deploy", DeployFile(_c1)), ("staging/reports.deploy", DeployFile(_c1)), ("staging/billing.deploy", DeployFile(_c1)));
        var c2 = _world.AppCommit("2");
        var c3 = _world.AppCommit("3");
        _world.MergeApproved([("staging/reports.deploy", DeployFile(c2, _c1))], "alice");
        await RunOnceAsync();
        var (refused, _) = _world.MergeApproved([("staging/reports.deploy", DeployFile(c3, c2, _c1))]);
        var (removed, _) = _world.MergeApproved([("staging/billing.deploy", null)], "alice");
        await RunOnceAsync();

        var result = await CliAsync("status");

        result.ExitCode.ShouldBe(0, result.Error);
        result.OutputLines[0].ShouldBe($"Branch refs/heads/main at {removed[..12]}; processed to {removed[..12]}");
        var rows = result.OutputLines.Skip(2).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToDictionary(r => r[0], StringComparer.Ordinal);
        rows.Keys.ShouldBe(["staging/app", "staging/billing", "staging/reports"], ignoreOrder: false);

        rows["staging/reports"][1..4].ShouldBe([c3[..12], c2[..12], "refused"], "a refused newer deploy: desired is not what runs");
        rows["staging/reports"][4].ShouldBe($"staging.reports.{refused[..12]}");
        rows["staging/billing"][1..5].ShouldBe(["(removed)", "-", "removed", $"staging.billing.{removed[..12]}"]);
        rows["staging/app"][1..].ShouldBe([_c1[..12], "-", "no", "record"], "untouched since the baseline");
    }

    [Fact]
    public async Task Status_BeforeAnyRun_ShowsWhatTheBranchAsksFor()
    {
        _world.Seed(("staging/app.deploy", DeployFile(_c1)));

        var result = await CliAsync("status");

        result.ExitCode.ShouldBe(0, result.Error);
        result.OutputLines[0].ShouldEndWith("processed to (nothing yet)");
        result.OutputLines[2].Split(' ', StringSplitOptions.RemoveEmptyEntries).ShouldBe(["staging/app", _c1[..12], "-", "no", "record"]);
    }

    /// <summary>
    /// The remote's main, processed up to a deploy, is rewritten and force-pushed; two approved
    /// pull requests then merge on top of the rewritten history.
    /// </summary>
    private async Task<(string Dropped, string Before, string After)> DivergeAsync()
    {
        var seed = _world.Seed(("staging/app.deploy", DeployFile(_c1)), ("staging/reports.deploy", DeployFile(_c1)));
        await RunOnceAsync();
        var c2 = _world.AppCommit("2");
        var (dropped, _) = _world.MergeApproved([("staging/reports.deploy", DeployFile(c2, _c1))], "alice");
        await RunOnceAsync();
        _world.CommandDeliveries.ShouldBe([$"staging.reports.{dropped[..12]}"]);

        _world.Work.Git("reset", "--hard", "--quiet", seed);
        _world.Work.CommitFiles("rewritten: the same deploy, amended", ("staging/reports.deploy", Hashes.DeployFile(c2, "Deploy, reworded")));
        _world.Work.Git("push", "--quiet", "--force", "origin", "main");
        var (before, _) = _world.MergeApproved([("staging/app.deploy", DeployFile(_world.AppCommit("3"), _c1))], "alice");
        var (after, _) = _world.MergeApproved([("staging/reports.deploy", DeployFile(_world.AppCommit("4"), c2, _c1))], "alice");
        return (dropped, before, after);
    }

    [Fact]
    public async Task Reset_AfterAForcePush_ResumesAfterTheGivenCommit()
    {
        var (dropped, before, after) = await DivergeAsync();

        var diverged = await _world.RunOnceAsync();

        diverged.ExitCode.ShouldBe(1);
        diverged.Output.ShouldContain("diverged");
        diverged.Output.ShouldContain("deployguard reset --to");
        _world.GitHub.State.WorkflowRuns("acme/app").ShouldBeEmpty("nothing deploys from a diverged repository");
        _world.CommandDeliveries.ShouldBe([$"staging.reports.{dropped[..12]}"]);
        _world.Ledger().ShouldBeEmpty("nothing on the rewritten history is recorded");
        Checkpoint().ShouldBe(dropped, "the checkpoint waits for an operator");

        var reset = await CliAsync("reset", "--to", before);

        reset.ExitCode.ShouldBe(0, reset.Error);
        reset.Output.ShouldContain($"Checkpoint reset to {before[..12]} (was {dropped[..12]})");
        Checkpoint().ShouldBe(before);

        var resumed = await _world.RunOnceAsync();

        resumed.ExitCode.ShouldBe(0, resumed.Output + resumed.Error);
        _world.CommandDeliveries.ShouldBe([$"staging.reports.{dropped[..12]}", $"staging.reports.{after[..12]}"], "the merge after the reset point deploys");
        _world.GitHub.State.WorkflowRuns("acme/app").ShouldBeEmpty("the merge at the reset point never deploys");
        var ledger = _world.Ledger();
        ledger.Keys.ShouldBe([$"staging.reports.{after[..12]}"]);
        ledger[$"staging.reports.{after[..12]}"].Status.ShouldBe(DeployStatus.Succeeded);
        Checkpoint().ShouldBe(after);
    }

    [Fact]
    public async Task Reset_ToTheTip_DeploysNothingThatCameBefore()
    {
        var (_, _, after) = await DivergeAsync();

        var reset = await CliAsync("reset", "--to", after[..12]);
        var resumed = await _world.RunOnceAsync();

        reset.ExitCode.ShouldBe(0, reset.Error);
        resumed.ExitCode.ShouldBe(0, resumed.Output + resumed.Error);
        Checkpoint().ShouldBe(after, "an abbreviated hash resolves to the full commit");
        _world.CommandDeliveries.Count.ShouldBe(1, "only the deploy from before the force push");
        _world.GitHub.State.WorkflowRuns("acme/app").ShouldBeEmpty();
        _world.Ledger().ShouldBeEmpty();
    }

    [Fact]
    public async Task Reset_ToACommitNotOnTheBranch_IsRefused_AndChangesNothing()
    {
        var (dropped, _, _) = await DivergeAsync();
        await _world.RunOnceAsync();

        var offBranch = await CliAsync("reset", "--to", dropped);
        var unknown = await CliAsync("reset", "--to", Hashes.Sha1("never committed"));
        var option = await CliAsync("reset", "--to", "--upload-pack=touch");

        offBranch.ExitCode.ShouldBe(1);
        offBranch.Error.ShouldContain($"{dropped[..12]} is not on main");
        unknown.ExitCode.ShouldBe(1);
        unknown.Error.ShouldContain("is not a commit of the deploy repository");
        option.ExitCode.ShouldBe(1);
        option.Error.ShouldContain("'--upload-pack=touch' is not a commit", customMessage: "an option-like value never reaches git");
        Checkpoint().ShouldBe(dropped, "a refused reset moves nothing");
        (await _world.RunOnceAsync()).ExitCode.ShouldBe(1, "still diverged");
    }

    [Fact]
    public async Task Reset_WithoutTo_IsAUsageError()
    {
        var seed = _world.Seed(("staging/app.deploy", DeployFile(_c1)));
        await RunOnceAsync();

        var result = await CliAsync("reset");

        result.ExitCode.ShouldBe(2);
        result.Error.ShouldContain("--to");
        Checkpoint().ShouldBe(seed);
    }
}
