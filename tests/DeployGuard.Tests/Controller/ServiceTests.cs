using System.Diagnostics;
using System.Text.Json;
using DeployGuard.Controller;
using DeployGuard.Tests.Cli;
using DeployGuard.Tests.Support;

namespace DeployGuard.Tests.Controller;

/// <summary>The controller as a service: its logs, its start-up validation, its wake-up signal.</summary>
public sealed class ServiceTests : IAsyncLifetime
{
    private DeployWorld _world = null!;

    public async Task InitializeAsync() => _world = await DeployWorld.StartAsync();

    public async Task DisposeAsync() => await _world.DisposeAsync();

    [Fact]
    public async Task JsonLogs_CarryDeployIdEnvironmentAndApp_AndNeverTheToken()
    {
        var c1 = _world.AppCommit("1");
        _world.Seed(("staging/reports.deploy", Hashes.DeployFile(c1)));
        (await _world.RunOnceAsync()).ExitCode.ShouldBe(0);
        var (merge, _) = _world.MergeApproved([("staging/reports.deploy", Hashes.DeployFile(_world.AppCommit("2")) + Hashes.DeployFile(c1))], "alice");
        var environment = _world.EnvironmentFor("r1");
        environment["DEPLOYGUARD__LOGGING__FORMAT"] = "json";

        var result = await CliRunner.RunProcessAsync(environment, "run", "--once");

        result.ExitCode.ShouldBe(0, result.Error);
        var events = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .ToList();
        var deployId = $"staging.reports.{merge[..12]}";
        var about = events.Where(e => e.TryGetProperty("Properties", out var p) && p.TryGetProperty("DeployId", out var id) && id.GetString() == deployId).ToList();
        about.ShouldNotBeEmpty();
        about.ShouldAllBe(e => e.GetProperty("Properties").GetProperty("Environment").GetString() == "staging"
                               && e.GetProperty("Properties").GetProperty("App").GetString() == "reports");
        about.ShouldContain(e => e.GetProperty("RenderedMessage").GetString()!.Contains("succeeded", StringComparison.Ordinal));
        result.Error.ShouldNotContain(DeployWorld.Token);
        result.Output.ShouldContain("every pending intent reached an outcome");
    }

    [Fact]
    public async Task InvalidSettings_AreAllNamed_AndNothingRuns()
    {
        var result = await CliRunner.RunAsync(["run", "--once", .. _world.Switches(),
            "--DeployGuard:Ledger:ClaimTimeout=00:00:01", "--DeployGuard:Pipelines:WebhookMaxAttempts=0", "--DeployGuard:Ledger:UserEmail=a<b"]);

        result.ExitCode.ShouldBe(2);
        result.Error.ShouldContain("DeployGuard:Ledger:ClaimTimeout");
        result.Error.ShouldContain("DeployGuard:Pipelines:WebhookMaxAttempts");
        result.Error.ShouldContain("DeployGuard:Ledger:UserEmail");
        Directory.Exists(_world.WorkDir()).ShouldBeFalse("a bad configuration touches nothing");
    }

    [Fact]
    public async Task TheService_DeploysAMergeWhileRunning_AndStopsCleanly()
    {
        var c1 = _world.AppCommit("1");
        _world.Seed(("staging/reports.deploy", Hashes.DeployFile(c1)));
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "deployguard.dll"));
        info.ArgumentList.Add("run");
        foreach (var (key, value) in _world.EnvironmentFor("svc"))
        {
            info.Environment[key] = value;
        }

        using var service = Process.Start(info)!;
        var stderr = service.StandardError.ReadToEndAsync();
        try
        {
            await WaitUntilAsync(() => _world.Remote.Git("for-each-ref", "refs/notes/deployguard").Length > 0, "the baseline");
            var (merge, _) = _world.MergeApproved([("staging/reports.deploy", Hashes.DeployFile(_world.AppCommit("2")) + Hashes.DeployFile(c1))], "alice");

            await WaitUntilAsync(() => _world.Ledger().TryGetValue($"staging.reports.{merge[..12]}", out var e) && e.Status == DeployGuard.Core.Ledger.DeployStatus.Succeeded, "the deploy");
            _world.CommandDeliveries.ShouldBe([$"staging.reports.{merge[..12]}"]);
        }
        finally
        {
            // SIGTERM: the host stops the worker and exits 0.
            Process.Start("kill", ["-TERM", service.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            var exited = service.WaitForExit(20_000);
            if (!exited)
            {
                service.Kill(entireProcessTree: true);
            }

            exited.ShouldBeTrue(await stderr);
        }

        service.ExitCode.ShouldBe(0, await stderr);
    }

    [Fact]
    public async Task WakeSignal_EndsTheWaitEarly_AndCollapsesRepeatedWakeUps()
    {
        using var wake = new WakeSignal();
        wake.Wake();
        wake.Wake();

        var first = Stopwatch.StartNew();
        await wake.WaitAsync(TimeSpan.FromMinutes(5), TimeProvider.System, CancellationToken.None);
        first.Elapsed.ShouldBeLessThan(TimeSpan.FromMinutes(1), "a raised signal ends the wait");

        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var second = wake.WaitAsync(TimeSpan.FromMinutes(5), time, CancellationToken.None);
        await Task.Delay(50);
        second.IsCompleted.ShouldBeFalse("two wake-ups before a wait count once");
        time.Advance(TimeSpan.FromMinutes(5));
        await second.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting for {what}");
            }

            await Task.Delay(200);
        }
    }
}
