using System.Globalization;
using System.Text;
using DeployGuard.Core.Intents;

namespace DeployGuard.Git;

/// <summary>
/// One long-lived <c>git cat-file --batch-command</c> process (git 2.36+) serving blob reads for a
/// repository, so that reading thousands of deploy files costs one process, not thousands.
/// Requests are pipelined: all commands of a phase are written while the answers are read.
/// </summary>
internal sealed class CatFileBatch(GitCli git, string repository) : IAsyncDisposable
{
    /// <summary>Blobs up to this size are read through the batch; larger ones by a one-off process killed after the prefix.</summary>
    public const int BatchContentLimit = 1024 * 1024;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private GitProcess? _process;
    private GitOutputReader? _reader;
    private int _disposed;

    /// <summary>The first <paramref name="limit"/> bytes of each object that exists and is a blob.</summary>
    public async Task<Dictionary<string, BlobHead>> ReadHeadsAsync(IReadOnlyCollection<string> objects, int limit, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, BlobHead>(objects.Count, StringComparer.Ordinal);
        if (objects.Count == 0)
        {
            return result;
        }

        foreach (var name in objects)
        {
            if (name.Contains('\n', StringComparison.Ordinal))
            {
                throw new ArgumentException("object names for the batch cannot contain a newline", nameof(objects));
            }
        }

        List<(string Name, long Size)> large = [];
        ObjectDisposedException.ThrowIf(_disposed == 1, this);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var (process, reader) = EnsureStarted();
            try
            {
                // Phase 1: types and sizes, so a 100 MB blob is never streamed through the pipe.
                var sizes = new List<(string Name, long Size)>(objects.Count);
                var writing = WriteCommandsAsync(process, objects.Select(o => "info " + o), cancellationToken);
                foreach (var name in objects)
                {
                    var header = await reader.ReadTokenAsync((byte)'\n', cancellationToken)
                                 ?? throw new GitCommandException("git cat-file stopped answering");
                    if (ParseHeader(header) is { Type: "blob" } info)
                    {
                        sizes.Add((name, info.Size));
                    }
                }

                await writing;

                // Phase 2: contents of the blobs small enough to read whole.
                var small = sizes.Where(s => s.Size <= BatchContentLimit).ToList();
                large = sizes.Where(s => s.Size > BatchContentLimit).ToList();
                writing = WriteCommandsAsync(process, small.Select(s => "contents " + s.Name), cancellationToken);
                foreach (var (name, _) in small)
                {
                    var header = await reader.ReadTokenAsync((byte)'\n', cancellationToken)
                                 ?? throw new GitCommandException("git cat-file stopped answering");
                    var info = ParseHeader(header) ?? throw new GitCommandException($"git cat-file lost object {name}");
                    var take = (int)Math.Min(info.Size, limit);
                    var head = new byte[take];
                    await reader.ReadExactAsync(head, cancellationToken);
                    await reader.SkipAsync(info.Size - take + 1, cancellationToken); // rest of the blob and its LF
                    result[name] = new BlobHead(info.Size, head);
                }

                await writing;
            }
            catch
            {
                // A half-read answer leaves the protocol out of step: start afresh next time.
                await StopAsync();
                throw;
            }
        }
        finally
        {
            _gate.Release();
        }

        foreach (var (name, size) in large)
        {
            result[name] = new BlobHead(size, await ReadPrefixAsync(name, limit, cancellationToken));
        }

        return result;
    }

    /// <summary>
    /// Streams one blob through its own process and stops reading after <paramref name="limit"/>
    /// bytes: git streams blobs, so a 100 MB deploy file costs what a small one does.
    /// </summary>
    private async Task<byte[]> ReadPrefixAsync(string name, int limit, CancellationToken cancellationToken)
    {
        await using var process = git.StartStreaming(repository, ["cat-file", "blob", name]);
        var buffer = new byte[limit];
        var filled = 0;
        while (filled < limit)
        {
            var read = await process.Output.ReadAsync(buffer.AsMemory(filled), cancellationToken);
            if (read == 0)
            {
                break;
            }

            filled += read;
        }

        return filled == limit ? buffer : buffer[..filled];
    }

    private (GitProcess, GitOutputReader) EnsureStarted()
    {
        if (_process is null || _reader is null)
        {
            _process = git.StartStreaming(repository, ["cat-file", "--batch-command"], redirectInput: true);
            _reader = new GitOutputReader(_process.Output);
        }

        return (_process, _reader);
    }

    private static async Task WriteCommandsAsync(GitProcess process, IEnumerable<string> commands, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        foreach (var command in commands)
        {
            text.Append(command).Append('\n');
        }

        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        await process.Input.WriteAsync(bytes, cancellationToken);
        await process.Input.FlushAsync(cancellationToken);
    }

    private static (string Type, long Size)? ParseHeader(string header)
    {
        // "<oid> <type> <size>" or "<name> missing" / "<name> ambiguous".
        var last = header.LastIndexOf(' ');
        var middle = last > 0 ? header.LastIndexOf(' ', last - 1) : -1;
        if (middle < 0 || !long.TryParse(header.AsSpan(last + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var size))
        {
            return null;
        }

        return (header[(middle + 1)..last], size);
    }

    private async Task StopAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        _process = null;
        _reader = null;
    }

    /// <summary>Stops the git process. Idempotent: a container may dispose one instance under two service types.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _gate.WaitAsync();
        try
        {
            await StopAsync();
        }
        finally
        {
            _gate.Release();
        }
    }
}
