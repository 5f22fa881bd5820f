using Serilog;
using Serilog.Events;

namespace DeployGuard;

internal static class Logging
{
    /// <summary>
    /// Logs go to standard error so that a command's own output (plan, history, JSON) stays clean
    /// on standard output. JSON on request for log shippers.
    /// </summary>
    public static Serilog.Core.Logger Create(LogEventLevel minimum, bool json)
    {
        var configuration = new LoggerConfiguration()
            .MinimumLevel.Is(minimum)
            .Enrich.FromLogContext();
        return json
            ? configuration.WriteTo.Console(new Serilog.Formatting.Json.JsonFormatter(renderMessage: true), standardErrorFromLevel: LogEventLevel.Verbose).CreateLogger()
            : configuration.WriteTo.Console(
                outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}",
                formatProvider: System.Globalization.CultureInfo.InvariantCulture,
                standardErrorFromLevel: LogEventLevel.Verbose).CreateLogger();
    }
}
