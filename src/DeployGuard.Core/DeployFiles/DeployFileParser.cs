using System.Text;

namespace DeployGuard.Core.DeployFiles;

/// <summary>The commit a valid deploy file names, and the line it is on.</summary>
public sealed record DeployFileContent(string Commit, int Line);

/// <summary>Either the commit a deploy file names or the reason it names none.</summary>
public readonly record struct DeployFileParseResult(DeployFileContent? Content, DeployFileError? Error)
{
    public bool IsValid => Content is not null;

    public static DeployFileParseResult Ok(string commit, int line) => new(new DeployFileContent(commit, line), null);

    public static DeployFileParseResult Fail(DeployFileError error) => new(null, error);
}

/// <summary>
/// The deploy-file grammar (SPEC §1): optional BOM, optional whitespace, then the first token,
/// which must be a full commit hash. Everything after it is free text.
/// </summary>
/// <remarks>
/// Reading costs O(1) in the file's size: the first token must begin within
/// <see cref="TokenWindow"/> bytes, so the parser never needs more than <see cref="ReadLimit"/>
/// bytes. A longer file is judged on that prefix alone; this is what lets a 100 MB deploy file
/// cost the same as a 1 KB one, and it is also why a NUL byte is only detected within the prefix.
/// </remarks>
public static class DeployFileParser
{
    /// <summary>The first token must begin within this many bytes after the optional BOM.</summary>
    public const int TokenWindow = 4096;

    private const int MaxTokenLength = CommitHash.Sha256Length;

    /// <summary>BOM + window + the longest valid token + one byte to see that the token ended.</summary>
    public const int ReadLimit = 3 + TokenWindow + MaxTokenLength + 1;

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    /// <summary>Reads at most <see cref="ReadLimit"/> bytes from <paramref name="stream"/> and parses them.</summary>
    public static async ValueTask<DeployFileParseResult> ReadAsync(Stream stream, string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var buffer = new byte[ReadLimit];
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken);
            if (read == 0)
            {
                return Parse(buffer.AsSpan(0, filled), isWholeFile: true, path);
            }

            filled += read;
        }

        // The buffer is full: whether more follows does not matter to the grammar, only that
        // the prefix may have been cut in the middle of a character or a token.
        return Parse(buffer, isWholeFile: false, path);
    }

    /// <summary>
    /// Parses the beginning of a deploy file. <paramref name="isWholeFile"/> tells whether
    /// <paramref name="head"/> is the whole file or only its first bytes.
    /// </summary>
    public static DeployFileParseResult Parse(ReadOnlySpan<byte> head, bool isWholeFile, string path)
    {
        if (head.Length > ReadLimit)
        {
            head = head[..ReadLimit];
            isWholeFile = false;
        }

        if (head.StartsWith(Utf8Bom))
        {
            head = head[Utf8Bom.Length..];
        }

        if (head.IsEmpty && isWholeFile)
        {
            return Fail(path, 1, DeployFileErrorCode.Empty,
                "the file is empty: its first line must be the full commit hash to deploy");
        }

        var nul = head.IndexOf((byte)0);
        if (nul >= 0)
        {
            return Fail(path, LineOf(head, nul), DeployFileErrorCode.Binary,
                "the file holds binary content (a NUL byte): a deploy file is UTF-8 text whose first token is a commit hash");
        }

        var line = 1;
        var offset = 0;
        var tokenStart = -1;
        while (offset < head.Length)
        {
            var status = Decode(head[offset..], out var rune, out var consumed);
            if (status == System.Buffers.OperationStatus.NeedMoreData && !isWholeFile)
            {
                break;
            }

            if (status != System.Buffers.OperationStatus.Done)
            {
                return Fail(path, line, DeployFileErrorCode.InvalidUtf8,
                    $"the file is not valid UTF-8 (byte 0x{head[offset]:x2} on line {line}): save it as UTF-8 text");
            }

            if (!Rune.IsWhiteSpace(rune))
            {
                tokenStart = offset;
                break;
            }

            if (rune.Value == '\n')
            {
                line++;
            }

            offset += consumed;
        }

        if (tokenStart < 0)
        {
            if (!isWholeFile || offset >= TokenWindow)
            {
                return Fail(path, line, DeployFileErrorCode.TokenTooFar,
                    $"no commit hash within the first {TokenWindow} bytes: the first token must begin within 4 KiB of the start of the file");
            }

            return Fail(path, line, DeployFileErrorCode.WhitespaceOnly,
                "the file holds only whitespace: its first line must be the full commit hash to deploy");
        }

        if (tokenStart >= TokenWindow)
        {
            return Fail(path, line, DeployFileErrorCode.TokenTooFar,
                $"the first token begins at byte {tokenStart}, past the first {TokenWindow} bytes: put the commit hash at the top of the file");
        }

        return ParseToken(head[tokenStart..], isWholeFile, path, line);
    }

    private static DeployFileParseResult ParseToken(ReadOnlySpan<byte> rest, bool isWholeFile, string path, int line)
    {
        var end = 0;
        var complete = false;
        while (end < rest.Length)
        {
            var status = Decode(rest[end..], out var rune, out var consumed);
            if (status == System.Buffers.OperationStatus.NeedMoreData && !isWholeFile)
            {
                break;
            }

            if (status != System.Buffers.OperationStatus.Done)
            {
                return Fail(path, line, DeployFileErrorCode.InvalidUtf8,
                    $"the commit hash on line {line} is not valid UTF-8 text: save the file as UTF-8");
            }

            if (Rune.IsWhiteSpace(rune))
            {
                complete = true;
                break;
            }

            end += consumed;
        }

        complete |= isWholeFile && end == rest.Length;
        var token = Encoding.UTF8.GetString(rest[..end]);
        if (!complete)
        {
            return Fail(path, line, DeployFileErrorCode.WrongLength,
                $"the first token is longer than {MaxTokenLength} characters: expected a full commit hash of 40 (SHA-1) or 64 (SHA-256) hex digits");
        }

        var shown = Quote(token);
        var nonHex = FirstNonHex(token);
        if (nonHex >= 0)
        {
            var hint = LooksLikeRefName(token)
                ? "branch and tag names move; a deploy file names one exact commit: use its full hash"
                : "expected a full commit hash of 40 (SHA-1) or 64 (SHA-256) hex digits";
            return Fail(path, line, DeployFileErrorCode.NotHex,
                $"{shown} is not a commit hash: {Quote(token.Substring(nonHex, char.IsSurrogate(token[nonHex]) ? 2 : 1))} at column {nonHex + 1} is not a hex digit; {hint}");
        }

        return token.Length switch
        {
            CommitHash.Sha1Length or CommitHash.Sha256Length => DeployFileParseResult.Ok(token.ToLowerInvariant(), line),
            < CommitHash.Sha1Length => Fail(path, line, DeployFileErrorCode.ShortHash,
                $"{shown} is a short hash ({token.Length} hex digits): use the full 40-character hash: short hashes become ambiguous"),
            _ => Fail(path, line, DeployFileErrorCode.WrongLength,
                $"{shown} has {token.Length} hex digits: a full commit hash has 40 (SHA-1) or 64 (SHA-256)"),
        };
    }

    /// <summary>One character: ASCII directly (nearly every byte of a deploy file), the rest decoded.</summary>
    private static System.Buffers.OperationStatus Decode(ReadOnlySpan<byte> bytes, out Rune rune, out int consumed)
    {
        if (bytes[0] < 0x80)
        {
            rune = new Rune(bytes[0]);
            consumed = 1;
            return System.Buffers.OperationStatus.Done;
        }

        return Rune.DecodeFromUtf8(bytes, out rune, out consumed);
    }

    private static int FirstNonHex(string token)
    {
        for (var i = 0; i < token.Length; i++)
        {
            if (!char.IsAsciiHexDigit(token[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private static bool LooksLikeRefName(string token) =>
        token is "main" or "master" or "HEAD" or "develop" || token.Contains('/', StringComparison.Ordinal) ||
        (token.Length > 1 && token[0] == 'v' && char.IsAsciiDigit(token[1]));

    private static string Quote(string token) => token.Length <= 80 ? $"'{token}'" : $"'{token[..77]}...'";

    private static int LineOf(ReadOnlySpan<byte> head, int offset) => head[..offset].Count((byte)'\n') + 1;

    private static DeployFileParseResult Fail(string path, int line, DeployFileErrorCode code, string message) =>
        DeployFileParseResult.Fail(new DeployFileError(path, line, code, message));
}
