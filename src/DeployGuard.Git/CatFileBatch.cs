using System.Globalization;
using System.Text;
using System.Threading.Channels;
using DeployGuard.Core.Intents;

namespace DeployGuard.Git;

/// <summary>
/// One long-lived <c>git cat-file --batch-command --buffer</c> process (git 2.36+) serving blob
/// reads for a repository, so that reading thousands of deploy files costs one process, not
/// thousands. Reads are pipelined in sessions: ids stream in while earlier answers stream out.
/// </summary>
/// <remarks>
/// For every blob the session first asks for its size (<c>info</c>) and only then for its
/// contents, and only if it is at most <see cref="BatchContentLimit"/>: a 100 MB blob is never
/// pushed through the pipe. Larger blobs are read by a one-off process that is stopped once the
/// prefix has arrived (see <see cref="ReadPrefixAsync"/>). The answer to an <c>info</c> is what
/// queues the <c>contents</c>, so neither side waits for a phase to finish.
/// </remarks>
internal sealed class CatFileBatch(GitCli git, string repository) : IAsyncDisposable
{
    /// <summary>Blobs up to this size are read through the batch; larger ones by a one-off process cut after the prefix.</summary>
    public const int BatchContentLimit = 1024 * 1024;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private GitProcess? _process;
    private GitOutputReader? _reader;
    private int _disposed;

    /// <summary>The first <paramref name="limit"/> bytes of each object that exists and is a blob.</summary>
    public async Task<IReadOnlyDictionary<string, BlobHead>> ReadHeadsAsync(IReadOnlyCollection<string> objects, int limit, CancellationToken cancellationToken)
    {
        await using var session = await OpenSessionAsync(limit, cancellationToken);
        foreach (var name in objects)
        {
            session.Request(name);
        }

        return await session.CompleteAsync(cancellationToken);
    }

    /// <summary>Opens a session; it holds the batch process until it is disposed.</summary>
    public async Task<IBlobSession> OpenSessionAsync(int limit, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_process is null || _reader is null)
            {
                _process = git.StartStreaming(repository, ["cat-file", "--batch-command", "--buffer"], redirectInput: true);
                _reader = new GitOutputReader(_process.Output);
            }

            return new Session(this, _process, _reader, limit, cancellationToken);
        }
        catch
        {
            _gate.Release();
            throw;
        }
    }

    private async Task EndSessionAsync(bool healthy)
    {
        try
        {
            if (!healthy)
            {
                // A half-read answer leaves the protocol out of step: start afresh next time.
                await StopAsync();
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Streams one blob through its own process and stops it after <paramref name="limit"/> bytes.
    /// With <c>core.bigFileThreshold</c> lowered git streams undeltified blobs instead of inflating
    /// them whole first, so a loose or plainly packed 100 MB file costs what a small one does;
    /// a blob stored as a delta still has to be rebuilt by git, whatever we read of it.
    /// </summary>
    private async Task<byte[]> ReadPrefixAsync(string name, int limit, CancellationToken cancellationToken)
    {
        await using var process = git.StartStreaming(repository, ["-c", "core.bigFileThreshold=1m", "cat-file", "blob", name]);
        var buffer = new byte[limit];
        var filled = 0;
        while (filled < limit)
        {
            var read = await process.Output.ReadAsync(buffer.AsMemory(filled), cancellationToken);
            if (read == 0)
            {
                // git ended before the prefix was full: only a successful exit makes it the whole blob.
                await process.WaitForSuccessAsync(cancellationToken);
                break;
            }

            filled += read;
        }

        return filled == limit ? buffer : buffer[..filled];
    }

    private static (string Type, long Size)? ParseHeader(string header)
    {
        // "<oid> <type> <size>", or "<name> missing" / "<name> ambiguous".
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

    private readonly record struct Command(string Name, bool Info);

    /// <summary>
    /// One pipelined batch. A writer task sends commands (with a <c>flush</c> after each burst);
    /// a reader task reads the answers in the same order. The producer adds <c>info</c> commands;
    /// the reader adds the <c>contents</c> commands its answers call for.
    /// </summary>
    private sealed class Session : IBlobSession
    {
        private readonly CatFileBatch _owner;
        private readonly GitProcess _process;
        private readonly GitOutputReader _reader;
        private readonly int _limit;
        private readonly CancellationTokenSource _abort;
        private readonly Channel<Command> _commands = Channel.CreateUnbounded<Command>(new UnboundedChannelOptions { SingleReader = true });
        private readonly Channel<Command> _sent = Channel.CreateUnbounded<Command>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        private readonly HashSet<string> _requested = new(StringComparer.Ordinal);
        private readonly Dictionary<string, BlobHead> _results = new(StringComparer.Ordinal);
        private readonly List<(string Name, long Size)> _large = [];
        private readonly Task _writing;
        private readonly Task _reading;
        private int _unansweredInfos;
        private int _producerDone;
        private bool _completed;
        private bool _ended;

        public Session(CatFileBatch owner, GitProcess process, GitOutputReader reader, int limit, CancellationToken cancellationToken)
        {
            _owner = owner;
            _process = process;
            _reader = reader;
            _limit = limit;
            _abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            _writing = Guard(WriteAsync(_abort.Token));
            _reading = Guard(ReadAsync(_abort.Token));
        }

        public void Request(string blobId)
        {
            ArgumentException.ThrowIfNullOrEmpty(blobId);
            if (blobId.Contains('\n', StringComparison.Ordinal))
            {
                throw new ArgumentException("object names for the batch cannot contain a newline", nameof(blobId));
            }

            if (Volatile.Read(ref _producerDone) == 1)
            {
                throw new InvalidOperationException("the session is already completing");
            }

            if (_requested.Add(blobId))
            {
                Interlocked.Increment(ref _unansweredInfos);
                _commands.Writer.TryWrite(new Command(blobId, Info: true));
            }
        }

        public async Task<IReadOnlyDictionary<string, BlobHead>> CompleteAsync(CancellationToken cancellationToken)
        {
            Volatile.Write(ref _producerDone, 1);
            CloseCommandsIfDone();
            using (cancellationToken.Register(() => _abort.Cancel()))
            {
                await Task.WhenAll(_writing, _reading);
            }

            foreach (var (name, size) in _large)
            {
                _results[name] = new BlobHead(size, await _owner.ReadPrefixAsync(name, _limit, cancellationToken));
            }

            _completed = true;
            return _results;
        }

        public async ValueTask DisposeAsync()
        {
            if (_ended)
            {
                return;
            }

            _ended = true;
            if (!_completed)
            {
                await _abort.CancelAsync();
                try
                {
                    await Task.WhenAll(_writing, _reading);
                }
                catch (Exception ex) when (ex is OperationCanceledException or GitCommandException or IOException or EndOfStreamException)
                {
                    // Abandoned: the process is restarted below.
                }
            }

            _abort.Dispose();
            await _owner.EndSessionAsync(healthy: _completed);
        }

        /// <summary>Every (info) answer read, and the producer done: no more commands can come.</summary>
        private void CloseCommandsIfDone()
        {
            if (Volatile.Read(ref _producerDone) == 1 && Volatile.Read(ref _unansweredInfos) == 0)
            {
                _commands.Writer.TryComplete();
            }
        }

        private async Task WriteAsync(CancellationToken cancellationToken)
        {
            var text = new StringBuilder();
            while (await _commands.Reader.WaitToReadAsync(cancellationToken))
            {
                text.Clear();
                while (_commands.Reader.TryRead(out var command))
                {
                    _sent.Writer.TryWrite(command);
                    text.Append(command.Info ? "info " : "contents ").Append(command.Name).Append('\n');
                }

                text.Append("flush\n");
                await _process.Input.WriteAsync(Encoding.UTF8.GetBytes(text.ToString()), cancellationToken);
                await _process.Input.FlushAsync(cancellationToken);
            }

            _sent.Writer.TryComplete();
        }

        private async Task ReadAsync(CancellationToken cancellationToken)
        {
            await foreach (var command in _sent.Reader.ReadAllAsync(cancellationToken))
            {
                var header = await _reader.ReadTokenAsync((byte)'\n', cancellationToken)
                             ?? throw new GitCommandException("git cat-file stopped answering");
                var info = ParseHeader(header);
                if (command.Info)
                {
                    if (info is { Type: "blob", Size: var size })
                    {
                        if (size <= BatchContentLimit)
                        {
                            _commands.Writer.TryWrite(command with { Info = false });
                        }
                        else
                        {
                            _large.Add((command.Name, size));
                        }
                    }

                    Interlocked.Decrement(ref _unansweredInfos);
                    CloseCommandsIfDone();
                    continue;
                }

                var (_, length) = info ?? throw new GitCommandException($"git cat-file lost object {command.Name}");
                var take = (int)Math.Min(length, _limit);
                var head = new byte[take];
                await _reader.ReadExactAsync(head, cancellationToken);
                await _reader.SkipAsync(length - take + 1, cancellationToken); // rest of the blob and its LF
                _results[command.Name] = new BlobHead(length, head);
            }
        }

        /// <summary>A failure on either side stops the other, so nothing waits forever on a dead pipe.</summary>
        private async Task Guard(Task work)
        {
            try
            {
                await work;
            }
            catch
            {
                await _abort.CancelAsync();
                throw;
            }
        }
    }
}
