using System.Diagnostics;
using System.Text;
using DeployGuard.Core.Ledger;
using DeployGuard.Tests.Support;
using Xunit.Abstractions;

namespace DeployGuard.Tests.Controller;

/// <summary>
/// Exactly-once across crashes (issue 4 acceptance): the controller runs as its own process over
/// 50 approved merges and is killed with SIGKILL at random moments, at least ten times, and
/// restarted each time with the same work directory.
/// </summary>
public sealed class CrashTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Merges = 50;
    private const int Environments = 17;
    private static readonly string[] AppNames = ["app", "billing", "reports"];
    private DeployWorld _world = null!;

    public async Task InitializeAsync() => _world = await DeployWorld.StartAsync();

    public async Task DisposeAsync() => await _world.DisposeAsync();

    [Fact]
    public async Task KilledAtRandomMoments_EveryApprovedIntentIsDelivered_GitHubActionsNeverTwice()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("DEPLOYGUARD_CRASH_SEED"), out var s) ? s : Environment.TickCount;
        output.WriteLine($"random seed {seed} (set DEPLOYGUARD_CRASH_SEED to replay)");
        var random = new Random(seed);
        var environments = Enumerable.Range(0, Environments).Select(i => $"e{i:D2}").ToList();
        _world.CustomPolicy = "version: 1\ndefaults:\n  require_checks: false\nenvironments:\n" +
                              string.Concat(environments.Select(e => $"  {e}: {{}}\n")) + _world.Apps;
        var c1 = _world.AppCommit("1");
        _world.Seed();
        (await _world.RunOnceAsync("crash")).ExitCode.ShouldBe(0);

        var expected = new List<string>();
        var kills = 0;
        var log = new StringBuilder();
        var service = Start(log);
        try
        {
            for (var i = 0; i < Merges; i++)
            {
                var env = environments[i / AppNames.Length];
                var app = AppNames[i % AppNames.Length];
                var (merge, _) = _world.MergeApproved([($"{env}/{app}.deploy", Hashes.DeployFile(_world.AppCommit($"{i + 2}")) + Hashes.DeployFile(c1))], "alice");
                expected.Add($"{env}.{app}.{merge[..12]}");
                if (i % 4 == 3)
                {
                    await Task.Delay(random.Next(0, 1500));
                    service = Restart(service, log);
                    kills++;
                }
            }

            // Keep killing now and then until everything is recorded, then let it finish.
            var deadline = DateTime.UtcNow.AddMinutes(3);
            while (!AllSucceeded(expected) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(random.Next(200, 1200));
                if (kills < 14)
                {
                    service = Restart(service, log);
                    kills++;
                }
            }
        }
        finally
        {
            Kill(service);
        }

        // Whatever a last kill interrupted, a final pass in this process finishes.
        var final = await _world.RunOnceAsync("crash");
        output.WriteLine($"{kills} kills; final run: {final.Output}");
        final.ExitCode.ShouldBe(0, final.Error + "\n" + Tail(log));

        kills.ShouldBeGreaterThanOrEqualTo(10);
        var runs = _world.GitHub.State.WorkflowRuns("acme/app").Select(r => r.Inputs.First(x => x.Key == "deploy_id").Value).ToList();
        var hooks = _world.Hooks.Deliveries.Where(d => d.StatusCode == 200).Select(d => d.IdempotencyKey!).ToList();
        var commands = _world.CommandDeliveries.ToList();
        output.WriteLine($"workflow runs {runs.Count}, webhook deliveries {hooks.Count}, command deliveries {commands.Count}");

        runs.Concat(hooks).Concat(commands).Distinct().Order(StringComparer.Ordinal).ShouldBe(expected.Order(StringComparer.Ordinal), "every approved intent delivered");
        runs.Count.ShouldBe(runs.Distinct().Count(), "no github-actions intent dispatched twice");
        (hooks.Count + commands.Count - hooks.Concat(commands).Distinct().Count()).ShouldBeLessThanOrEqualTo(kills, "a re-delivery only after a kill");
        AllSucceeded(expected).ShouldBeTrue(Tail(log));
    }

    private bool AllSucceeded(List<string> expected)
    {
        var ledger = _world.Ledger();
        return expected.TrueForAll(id => ledger.TryGetValue(id, out var e) && e.Status == DeployStatus.Succeeded);
    }

    private Process Restart(Process service, StringBuilder log)
    {
        Kill(service);
        lock (log)
        {
            log.AppendLine("---- SIGKILL, restart ----");
        }

        return Start(log);
    }

    private Process Start(StringBuilder log)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "deployguard.dll"));
        info.ArgumentList.Add("run");
        foreach (var (key, value) in _world.EnvironmentFor("crash"))
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(log, e.Data);
        process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static void Append(StringBuilder log, string? line)
    {
        if (line is not null)
        {
            lock (log)
            {
                log.AppendLine(line);
            }
        }
    }

    /// <summary>SIGKILL: no shutdown hook runs, exactly like a crashed host.</summary>
    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: false);
            process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        process.Dispose();
    }

    private static string Tail(StringBuilder log)
    {
        lock (log)
        {
            var text = log.ToString();
            return text.Length > 6000 ? text[^6000..] : text;
        }
    }
}
