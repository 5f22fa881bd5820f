using DeployGuard.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DeployGuard.Controller;

/// <summary>
/// Wakes the worker before its poll interval is up: a GitHub <c>push</c> webhook raises it, so a
/// merge deploys at once (the payload is only a hint; the truth is always fetched from git).
/// Several wake-ups before the worker looks collapse into one pass.
/// </summary>
public sealed class WakeSignal : IDisposable
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Wake()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already raised: the coming pass sees everything.
        }
    }

    public void Dispose() => _signal.Dispose();

    /// <summary>Waits for a wake-up or for <paramref name="delay"/> to pass, whichever is first.</summary>
    public async Task WaitAsync(TimeSpan delay, TimeProvider time, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var woken = _signal.WaitAsync(linked.Token);
        var elapsed = Task.Delay(delay, time, linked.Token);
        await Task.WhenAny(woken, elapsed);
        await linked.CancelAsync();
        cancellationToken.ThrowIfCancellationRequested();
    }
}

/// <summary>
/// The hosted service behind <c>deployguard run</c>: one reconciler pass, then wait for the poll
/// interval or a wake-up, for as long as the host runs. A failing pass (the remote unreachable) is
/// logged and retried; it never stops the service.
/// </summary>
internal sealed partial class DeployWorker(Reconciler reconciler, WakeSignal wake, TimeProvider time, IOptions<DeployGuardOptions> options, ILogger<DeployWorker> logger)
    : BackgroundService
{
    /// <summary>While a run is being followed the worker looks more often than the poll interval.</summary>
    private static readonly TimeSpan FollowInterval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogStarted(options.Value.EffectiveReplicaId, options.Value.PollInterval);
        while (!stoppingToken.IsCancellationRequested)
        {
            var delay = options.Value.PollInterval;
            try
            {
                var result = await reconciler.RunPassAsync(stoppingToken);
                if (result.InFlight > 0 && FollowInterval < delay)
                {
                    delay = FollowInterval;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogPassFailed(ex, delay);
            }

            try
            {
                await wake.WaitAsync(delay, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "DeployGuard worker {Replica} started; polling every {PollInterval}")]
    private partial void LogStarted(string replica, TimeSpan pollInterval);

    [LoggerMessage(Level = LogLevel.Error, Message = "Pass failed; trying again in {Delay}")]
    private partial void LogPassFailed(Exception exception, TimeSpan delay);
}
