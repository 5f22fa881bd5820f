using DeployGuard.Configuration;
using DeployGuard.Controller;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace DeployGuard.Cli;

/// <summary><c>deployguard run [--once]</c>: the controller (SPEC §7).</summary>
internal static class RunCommand
{
    /// <summary>
    /// <c>--once</c>: passes until every pending intent reached an outcome (deliveries being followed
    /// are followed to their end). Exit 0 when all did, refusals included; 1 when the repository
    /// diverged or an intent still waits on something that could not be checked.
    /// </summary>
    public static async Task<int> RunOnceAsync(IHost host, TextWriter output, CancellationToken cancellationToken)
    {
        var reconciler = host.Services.GetRequiredService<Reconciler>();
        var options = host.Services.GetRequiredService<IOptions<DeployGuardOptions>>().Value;
        var time = host.Services.GetRequiredService<TimeProvider>();
        var triggered = 0;
        while (true)
        {
            var result = await reconciler.RunPassAsync(cancellationToken);
            triggered += result.Triggered;
            if (result.Diverged)
            {
                await output.WriteLineAsync("diverged: the checkpoint is not an ancestor of the branch; run 'deployguard reset --to <commit>'");
                return ExitCodes.Refused;
            }

            if (result.InFlight == 0)
            {
                var deferred = result.Deferred > 0 ? $"; {result.Deferred} deferred by a freeze window" : "";
                await output.WriteLineAsync(result.Waiting == 0
                    ? $"done: {triggered} pipeline(s) triggered; every pending intent reached an outcome{deferred}"
                    : $"waiting: {result.Waiting} intent(s) could not be decided yet (see the log); {triggered} pipeline(s) triggered{deferred}");
                return result.Waiting == 0 ? ExitCodes.Success : ExitCodes.Refused;
            }

            await Task.Delay(options.PollInterval, time, cancellationToken);
        }
    }

    /// <summary>The service: runs until stopped (Ctrl+C, SIGTERM).</summary>
    public static async Task<int> RunServiceAsync(IHost host, CancellationToken cancellationToken)
    {
        await host.RunAsync(cancellationToken);
        return ExitCodes.Success;
    }
}
