using DeployGuard.Cli;

using var shutdown = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // First Ctrl+C asks for a clean stop; the process exits once the command has unwound.
    e.Cancel = true;
    shutdown.Cancel();
};

return await CliApp.RunAsync(args, Console.Out, Console.Error, shutdown.Token);
