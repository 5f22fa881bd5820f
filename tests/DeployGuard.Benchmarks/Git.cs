using System.Diagnostics;
using System.Text;

namespace DeployGuard.Benchmarks;

/// <summary>
/// Plain git for the benchmarks' own needs (generating repositories, the "git alone" baseline).
/// Deliberately independent of DeployGuard.Git so the baseline does not share its code paths.
/// No shell: arguments go through <see cref="ProcessStartInfo.ArgumentList"/>.
/// </summary>
internal static class Git
{
    public static ProcessStartInfo Info(string? directory, IEnumerable<string> arguments, bool redirectInput = false, bool redirectError = true)
    {
        var info = new ProcessStartInfo("git")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = redirectError,
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        if (directory is not null)
        {
            info.ArgumentList.Add("-C");
            info.ArgumentList.Add(directory);
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["LC_ALL"] = "C";
        info.Environment["GIT_TERMINAL_PROMPT"] = "0";
        return info;
    }

    /// <summary>Runs git to completion and returns its standard output; throws when it fails.</summary>
    public static string Run(string? directory, params string[] arguments)
    {
        using var process = Process.Start(Info(directory, arguments)) ?? throw new InvalidOperationException("could not start git");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', arguments)} failed ({process.ExitCode}): {stderr.Result}");
        }

        return stdout;
    }

    /// <summary>Runs git with <paramref name="writeInput"/> producing its standard input (e.g. a fast-import stream).</summary>
    public static string RunWithInput(string? directory, IEnumerable<string> arguments, Action<Stream> writeInput)
    {
        using var process = Process.Start(Info(directory, arguments, redirectInput: true)) ?? throw new InvalidOperationException("could not start git");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var input = new BufferedStream(process.StandardInput.BaseStream, 1 << 20);
        writeInput(input);
        input.Flush();
        process.StandardInput.Close(); // closes the pipe under the BufferedStream too
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', arguments)} failed ({process.ExitCode}): {stderr.Result}");
        }

        return stdout.Result;
    }

    /// <summary>Starts git and drains its standard output, returning the number of bytes it printed.</summary>
    public static async Task<long> DrainAsync(string directory, IReadOnlyList<string> arguments, byte[] buffer)
    {
        using var process = Process.Start(Info(directory, arguments, redirectError: false)) ?? throw new InvalidOperationException("could not start git");
        var output = process.StandardOutput.BaseStream;
        long total = 0;
        int read;
        while ((read = await output.ReadAsync(buffer)) > 0)
        {
            total += read;
        }

        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', arguments)} failed ({process.ExitCode})");
        }

        return total;
    }

    /// <summary>Starts git, writes <paramref name="input"/> to it while draining its standard output; returns the bytes it printed.</summary>
    public static async Task<long> DrainWithInputAsync(string directory, IReadOnlyList<string> arguments, byte[] input, byte[] buffer)
    {
        using var process = Process.Start(Info(directory, arguments, redirectInput: true, redirectError: false)) ?? throw new InvalidOperationException("could not start git");
        var writing = Task.Run(async () =>
        {
            await process.StandardInput.BaseStream.WriteAsync(input);
            process.StandardInput.Close();
        });
        var output = process.StandardOutput.BaseStream;
        long total = 0;
        int read;
        while ((read = await output.ReadAsync(buffer)) > 0)
        {
            total += read;
        }

        await writing;
        await process.WaitForExitAsync();
        return total;
    }

    /// <summary>Starts git and captures its standard output as bytes.</summary>
    public static byte[] Capture(string directory, IReadOnlyList<string> arguments)
    {
        using var process = Process.Start(Info(directory, arguments, redirectError: false)) ?? throw new InvalidOperationException("could not start git");
        using var memory = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(memory);
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', arguments)} failed ({process.ExitCode})");
        }

        return memory.ToArray();
    }

    public static void WriteAscii(Stream stream, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        stream.Write(bytes);
    }
}
