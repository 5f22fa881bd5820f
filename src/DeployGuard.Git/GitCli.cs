using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace DeployGuard.Git;

/// <summary>A git command that failed, timed out or could not start. Its message never holds credentials.</summary>
public sealed class GitCommandException : Exception
{
    public GitCommandException(string message, int exitCode = -1, Exception? inner = null)
        : base(message, inner) => ExitCode = exitCode;

    public GitCommandException()
    {
    }

    public GitCommandException(string message)
        : base(message)
    {
    }

    public GitCommandException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public int ExitCode { get; } = -1;
}

/// <summary>What a finished git command printed.</summary>
public sealed record GitResult(int ExitCode, string StandardOutput, string StandardError);

/// <summary>
/// Runs the git command line. No shell is involved: arguments go as an array, so no value
/// (a branch name, a path from the deploy repository) is ever interpreted by a shell.
/// Every call has a timeout and honours cancellation by killing the process.
/// </summary>
public sealed partial class GitCli(GitCliOptions? options = null)
{
    private readonly GitCliOptions _options = options ?? new GitCliOptions();

    public TimeSpan DefaultTimeout => _options.Timeout;

    /// <summary>Runs git and returns what it printed; throws <see cref="GitCommandException"/> when it exits non-zero, unless allowed.</summary>
    public async Task<GitResult> RunAsync(
        string? workingDirectory,
        IReadOnlyList<string> arguments,
        CancellationToken cancellationToken,
        TimeSpan? timeout = null,
        IReadOnlyCollection<int>? allowedExitCodes = null,
        string? standardInput = null)
    {
        using var process = Start(workingDirectory, arguments, redirectInput: standardInput is not null);
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout ?? _options.Timeout);
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync(timeoutSource.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeoutSource.Token);
            if (standardInput is not null)
            {
                await process.StandardInput.WriteAsync(standardInput.AsMemory(), timeoutSource.Token);
                process.StandardInput.Close();
            }

            await process.WaitForExitAsync(timeoutSource.Token);
            var result = new GitResult(process.ExitCode, await stdout, await stderr);
            if (result.ExitCode != 0 && allowedExitCodes?.Contains(result.ExitCode) != true)
            {
                throw Failure(arguments, result.ExitCode, result.StandardError);
            }

            return result;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Kill(process);
            throw new GitCommandException($"{Describe(arguments)} timed out after {timeout ?? _options.Timeout}");
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            throw;
        }
    }

    /// <summary>Starts git with its standard output as a stream for the caller to read; stderr is collected for errors.</summary>
    public GitProcess StartStreaming(string? workingDirectory, IReadOnlyList<string> arguments, bool redirectInput = false)
    {
        var process = Start(workingDirectory, arguments, redirectInput);
        return new GitProcess(process, arguments);
    }

    internal Process Start(string? workingDirectory, IReadOnlyList<string> arguments, bool redirectInput)
    {
        var info = new ProcessStartInfo(_options.Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
            CreateNoWindow = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        if (workingDirectory is not null)
        {
            info.ArgumentList.Add("-C");
            info.ArgumentList.Add(workingDirectory);
        }

        // Settings that would change the output this code parses are pinned per call, whatever
        // the machine's git configuration says.
        foreach (var setting in PinnedConfig)
        {
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(setting);
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // Never wait for a password on a terminal nobody watches; English messages for the logs.
        info.Environment["GIT_TERMINAL_PROMPT"] = "0";
        info.Environment["GIT_ASKPASS"] = "";
        info.Environment["SSH_ASKPASS"] = "";
        info.Environment["LC_ALL"] = "C";
        info.Environment["GIT_OPTIONAL_LOCKS"] = "0";
        foreach (var (key, value) in _options.Environment)
        {
            info.Environment[key] = value;
        }

        try
        {
            return Process.Start(info) ?? throw new GitCommandException($"could not start '{_options.Executable}'");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new GitCommandException($"could not start '{_options.Executable}': {ex.Message}. Is git installed and on PATH?", -1, ex);
        }
    }

    private static readonly string[] PinnedConfig =
    [
        "core.quotePath=false",
        "color.ui=never",
        "log.showSignature=false",
        "diff.external=",
        "core.pager=cat",
    ];

    internal static GitCommandException Failure(IReadOnlyList<string> arguments, int exitCode, string stderr)
    {
        var detail = Redact(stderr.Trim());
        return new GitCommandException(
            detail.Length == 0 ? $"{Describe(arguments)} failed with exit code {exitCode}" : $"{Describe(arguments)} failed with exit code {exitCode}: {detail}",
            exitCode);
    }

    /// <summary>The command for messages, credentials removed.</summary>
    internal static string Describe(IReadOnlyList<string> arguments) =>
        "git " + Redact(string.Join(' ', arguments.Take(8))) + (arguments.Count > 8 ? " ..." : "");

    /// <summary>Removes user info (tokens) from URLs: https://x-access-token:SECRET@host/ becomes https://***@host/.</summary>
    public static string Redact(string text) => UrlCredentials().Replace(text, "$1***@");

    /// <param name="entireTree">
    /// True for commands that start helpers (fetch and clone run remote helpers and ssh); a plain
    /// kill is enough for log and cat-file, and listing every process to find a tree costs ~10 ms.
    /// </param>
    internal static void Kill(Process process, bool entireTree = true)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: entireTree);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    [GeneratedRegex(@"([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@", RegexOptions.CultureInvariant)]
    private static partial Regex UrlCredentials();
}

/// <summary>Settings for running git.</summary>
public sealed class GitCliOptions
{
    public string Executable { get; init; } = "git";

    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Extra environment variables for every git process (identity, credential helpers).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
}

/// <summary>A running git process whose standard output the caller reads as a stream.</summary>
public sealed class GitProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly IReadOnlyList<string> _arguments;
    private readonly Task<string> _stderr;

    internal GitProcess(Process process, IReadOnlyList<string> arguments)
    {
        _process = process;
        _arguments = arguments;
        _stderr = process.StandardError.ReadToEndAsync();
    }

    public Stream Output => _process.StandardOutput.BaseStream;

    public Stream Input => _process.StandardInput.BaseStream;

    /// <summary>Waits for git to exit and throws with its stderr when it failed.</summary>
    public async Task WaitForSuccessAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            GitCli.Kill(_process, entireTree: false);
            throw;
        }

        if (_process.ExitCode != 0)
        {
            throw GitCli.Failure(_arguments, _process.ExitCode, await _stderr);
        }
    }

    public async ValueTask DisposeAsync()
    {
        GitCli.Kill(_process, entireTree: false);
        try
        {
            await _process.WaitForExitAsync();
            await _stderr;
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }

        _process.Dispose();
    }
}
