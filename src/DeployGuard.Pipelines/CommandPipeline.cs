using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using DeployGuard.Core.Pipelines;
using DeployGuard.Core.Policy;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DeployGuard.Pipelines;

/// <summary>
/// The <c>command</c> pipeline (SPEC §5): a local process, started without a shell, that receives the values as
/// <c>DEPLOYGUARD_*</c> environment variables; exit code 0 is success. Its output goes to the log, line by line.
/// A command is never retried: nothing says it is idempotent, and re-delivery after a crash is the controller's
/// business (docs/pipelines.md).
/// </summary>
public sealed class CommandPipeline : IPipeline
{
    /// <summary>Longest output line logged; the rest of the line is dropped, so a runaway line cannot eat memory.</summary>
    internal const int MaxLineLength = 4096;

    /// <summary>Lines kept per stream for the failure reason.</summary>
    internal const int TailLines = 20;

    /// <summary>
    /// How long output is drained after the command exited. A background process it started (<c>nohup … &amp;</c>)
    /// may hold the pipes open for ever; the deploy's result must not wait for it.
    /// </summary>
    private static readonly TimeSpan DrainGrace = TimeSpan.FromSeconds(2);

    /// <summary>How long a killed process tree may take to go.</summary>
    private static readonly TimeSpan KillWait = TimeSpan.FromSeconds(10);

    private readonly TimeProvider _time;
    private readonly ILogger<CommandPipeline> _logger;
    private readonly PipelineOptions _options;

    public CommandPipeline(TimeProvider timeProvider, ILogger<CommandPipeline> logger, IOptions<PipelineOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _time = timeProvider;
        _logger = logger;
        _options = options.Value;
    }

    public PipelineType Type => PipelineType.Command;

    public async Task<PipelineOutcome> TriggerAsync(PipelineRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        cancellationToken.ThrowIfCancellationRequested();
        if (request.Spec.Command is not [var program, ..] command || string.IsNullOrWhiteSpace(program))
        {
            return new PipelineOutcome.Failed("command pipeline has no command");
        }

        using var scope = _logger.BeginScope(new Dictionary<string, object?>
        {
            ["DeployId"] = request.DeployId,
            ["Environment"] = request.Environment,
            ["App"] = request.App,
        });

        var directory = Path.GetFullPath(_options.CommandDirectory ?? Directory.GetCurrentDirectory());
        if (Resolve(program, directory) is not { } path)
        {
            _logger.LogError("Command {Program} for deploy {DeployId} not started: not found in PATH", program, request.DeployId);
            return new PipelineOutcome.Failed($"cannot start {program}: not found in PATH");
        }

        var info = StartInfo(path, command.Skip(1), directory, request);
        var timeout = request.Spec.Timeout ?? PipelineSpec.DefaultCommandTimeout;

        // Armed before the start, so the whole run counts, and on the TimeProvider, so a test can move it.
        using var timeoutSource = new CancellationTokenSource(timeout, _time);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            var why = ex.NativeErrorCode != 0 ? Marshal.GetPInvokeErrorMessage(ex.NativeErrorCode) : ex.Message;
            _logger.LogError("Command {Program} for deploy {DeployId} not started: {Error}", program, request.DeployId, why);
            return new PipelineOutcome.Failed($"cannot start {program}: {why} ({path})");
        }

        _logger.LogInformation("Command {Program} started for deploy {DeployId} (pid {Pid}, timeout {Timeout})", program, request.DeployId, process.Id, PipelineText.Duration(timeout));
        try
        {
            // Nobody types into a deploy; a script that reads stdin gets end-of-file, not the controller's terminal.
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // It already exited.
        }

        var stdout = new OutputTail();
        var stderr = new OutputTail();
        var readers = Task.WhenAll(
            PumpAsync(process.StandardOutput, stdout, line => _logger.LogInformation("{Program}: {Line}", program, line)),
            PumpAsync(process.StandardError, stderr, line => _logger.LogWarning("{Program}: {Line}", program, line)));

        try
        {
            await process.WaitForExitAsync(stop.Token);
        }
        catch (OperationCanceledException)
        {
            await KillAsync(process);
            await DrainAsync(readers);
            if (cancellationToken.IsCancellationRequested)
            {
                _logger.LogWarning("Command {Program} for deploy {DeployId} stopped: the controller is shutting down", program, request.DeployId);
                throw new OperationCanceledException("the command was stopped", null, cancellationToken);
            }

            var reason = $"command timed out after {PipelineText.Duration(timeout)}";
            _logger.LogWarning("Command {Program} for deploy {DeployId} killed: {Reason}", program, request.DeployId, reason);
            return new PipelineOutcome.Failed(reason);
        }

        await DrainAsync(readers);
        var exitCode = process.ExitCode;
        if (exitCode == 0)
        {
            _logger.LogInformation("Command {Program} for deploy {DeployId} exited with 0", program, request.DeployId);
            return new PipelineOutcome.Succeeded(null);
        }

        var last = stderr.LastLine() ?? stdout.LastLine();
        var failure = string.Create(CultureInfo.InvariantCulture, $"command exited with {exitCode}");
        _logger.LogWarning("Command {Program} for deploy {DeployId} failed: {Reason}", program, request.DeployId, failure);
        return new PipelineOutcome.Failed(last is null ? failure : $"{failure}: {PipelineText.Quote(last)}");
    }

    /// <summary>A command's result is its exit code: there is no run to follow.</summary>
    public Task<PipelineOutcome> FollowAsync(PipelineRequest request, string run, CancellationToken cancellationToken) =>
        Task.FromResult<PipelineOutcome>(new PipelineOutcome.Succeeded(run));

    /// <summary>
    /// Like execvp: a name with a '/' is a path (a relative one from <paramref name="directory"/>), a bare name is
    /// looked up in PATH only. Process.Start would also look next to the controller's executable and in its current
    /// directory, which is not where anyone expects <c>deploy</c> to come from.
    /// </summary>
    internal static string? Resolve(string program, string directory)
    {
        if (program.Contains('/', StringComparison.Ordinal) || program.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            return Path.GetFullPath(program, directory);
        }

        foreach (var entry in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(entry, program);
            if (File.Exists(candidate))
            {
                return Path.GetFullPath(candidate);
            }
        }

        return null;
    }

    private ProcessStartInfo StartInfo(string path, IEnumerable<string> arguments, string directory, PipelineRequest request)
    {
        var info = new ProcessStartInfo(path)
        {
            UseShellExecute = false,
            WorkingDirectory = directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // Inherited, minus the controller's secrets; then the values, which no scrub pattern can remove.
        foreach (var name in info.Environment.Keys.Where(IsScrubbed).ToList())
        {
            info.Environment.Remove(name);
        }

        info.Environment["DEPLOYGUARD_ENVIRONMENT"] = request.Environment;
        info.Environment["DEPLOYGUARD_APP"] = request.App;
        info.Environment["DEPLOYGUARD_COMMIT"] = request.Commit;
        info.Environment["DEPLOYGUARD_PREVIOUS_COMMIT"] = request.PreviousCommit ?? "";
        info.Environment["DEPLOYGUARD_DEPLOY_ID"] = request.DeployId;
        return info;
    }

    /// <summary>Case-insensitive, ':' and '__' alike (configuration reads both), a trailing '*' for a prefix.</summary>
    internal bool IsScrubbed(string name)
    {
        var normalized = Normalize(name);
        foreach (var pattern in _options.ScrubEnvironment ?? [])
        {
            if (string.IsNullOrWhiteSpace(pattern))
            {
                continue;
            }

            var p = Normalize(pattern.Trim());
            if (p.EndsWith('*')
                ? normalized.StartsWith(p[..^1], StringComparison.OrdinalIgnoreCase)
                : normalized.Equals(p, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;

        static string Normalize(string s) => s.Replace(":", "__", StringComparison.Ordinal);
    }

    private async Task KillAsync(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or Win32Exception or AggregateException)
        {
            // Already gone, or part of the tree was; what is left is reported below.
            _logger.LogDebug(ex, "Killing the command's process tree");
        }

        try
        {
            // Real time: this bounds the operating system, not the deploy.
            await process.WaitForExitAsync().WaitAsync(KillWait, TimeProvider.System);
        }
        catch (TimeoutException)
        {
            _logger.LogError("Command process {Pid} did not exit within {KillWait} of being killed", process.Id, KillWait);
        }
    }

    private async Task DrainAsync(Task readers)
    {
        try
        {
            await readers.WaitAsync(DrainGrace, TimeProvider.System);
        }
        catch (TimeoutException)
        {
            _logger.LogWarning("The command exited but its output is still open (a background process it started holds it); not waiting for it");
        }
    }

    /// <summary>Reads lines as they come, each cut at <see cref="MaxLineLength"/> characters.</summary>
    private static async Task PumpAsync(StreamReader reader, OutputTail tail, Action<string> log)
    {
        var buffer = new char[4096];
        var line = new StringBuilder();
        var dropped = false;

        void Emit()
        {
            var text = line.ToString().TrimEnd('\r');
            if (dropped)
            {
                text += " …";
            }

            tail.Add(text);
            try
            {
                log(text);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Logging must never break a deploy.
            }

            line.Clear();
            dropped = false;
        }

        try
        {
            while (true)
            {
                var n = await reader.ReadAsync(buffer);
                if (n == 0)
                {
                    break;
                }

                for (var i = 0; i < n; i++)
                {
                    var c = buffer[i];
                    if (c == '\n')
                    {
                        Emit();
                    }
                    else if (line.Length < MaxLineLength)
                    {
                        line.Append(c);
                    }
                    else
                    {
                        dropped = true;
                    }
                }
            }

            if (line.Length > 0 || dropped)
            {
                Emit();
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // The pipe went away with the process.
        }
    }

    /// <summary>The last lines of one output stream.</summary>
    private sealed class OutputTail
    {
        private readonly Queue<string> _lines = new();
        private readonly Lock _lock = new();

        public void Add(string line)
        {
            lock (_lock)
            {
                _lines.Enqueue(line);
                if (_lines.Count > TailLines)
                {
                    _lines.Dequeue();
                }
            }
        }

        /// <summary>The last line with something on it.</summary>
        public string? LastLine()
        {
            lock (_lock)
            {
                return _lines.LastOrDefault(l => !string.IsNullOrWhiteSpace(l));
            }
        }
    }
}
