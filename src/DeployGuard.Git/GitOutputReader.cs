using System.Buffers;
using System.Text;

namespace DeployGuard.Git;

/// <summary>
/// Buffered reading of git's byte-oriented output: delimited tokens (NUL for <c>-z</c>, LF for
/// batch headers), exact byte counts and skips, without decoding more than each token.
/// </summary>
internal sealed class GitOutputReader(Stream stream, int bufferSize = 64 * 1024)
{
    private readonly byte[] _buffer = new byte[bufferSize];
    private int _start;
    private int _end;

    /// <summary>The bytes up to <paramref name="delimiter"/> as UTF-8, or null at end of stream with nothing read.</summary>
    public async ValueTask<string?> ReadTokenAsync(byte delimiter, CancellationToken cancellationToken)
    {
        // Bytes of a token that spans buffer refills are kept raw and decoded once at the end:
        // decoding each piece alone would split a multi-byte character at the seam.
        ArrayBufferWriter<byte>? spill = null;
        while (true)
        {
            var index = Array.IndexOf(_buffer, delimiter, _start, _end - _start);
            if (index >= 0)
            {
                string text;
                if (spill is null)
                {
                    text = Encoding.UTF8.GetString(_buffer, _start, index - _start);
                }
                else
                {
                    spill.Write(_buffer.AsSpan(_start, index - _start));
                    text = Encoding.UTF8.GetString(spill.WrittenSpan);
                }

                _start = index + 1;
                return text;
            }

            if (_end > _start)
            {
                (spill ??= new ArrayBufferWriter<byte>()).Write(_buffer.AsSpan(_start, _end - _start));
                _start = _end;
            }

            if (!await FillAsync(cancellationToken))
            {
                return spill is null ? null : Encoding.UTF8.GetString(spill.WrittenSpan);
            }
        }
    }

    /// <summary>Skips any bytes equal to <paramref name="value"/> (the LF git puts between a header and its raw list).</summary>
    public async ValueTask SkipWhileAsync(byte value, CancellationToken cancellationToken)
    {
        while (true)
        {
            while (_start < _end && _buffer[_start] == value)
            {
                _start++;
            }

            if (_start < _end || !await FillAsync(cancellationToken))
            {
                return;
            }
        }
    }

    /// <summary>Reads exactly <paramref name="destination"/>.Length bytes.</summary>
    public async ValueTask ReadExactAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        while (destination.Length > 0)
        {
            if (_start == _end && !await FillAsync(cancellationToken))
            {
                throw new EndOfStreamException("git's output ended early");
            }

            var take = Math.Min(destination.Length, _end - _start);
            _buffer.AsMemory(_start, take).CopyTo(destination);
            _start += take;
            destination = destination[take..];
        }
    }

    public async ValueTask SkipAsync(long count, CancellationToken cancellationToken)
    {
        while (count > 0)
        {
            if (_start == _end && !await FillAsync(cancellationToken))
            {
                throw new EndOfStreamException("git's output ended early");
            }

            var take = (int)Math.Min(count, _end - _start);
            _start += take;
            count -= take;
        }
    }

    private async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        _start = 0;
        _end = await stream.ReadAsync(_buffer, cancellationToken);
        return _end > 0;
    }
}
