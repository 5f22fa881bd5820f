using System.Text;
using DeployGuard.Core.DeployFiles;
using DeployGuard.Tests.Support;

namespace DeployGuard.Tests.Core.DeployFiles;

/// <summary>The deploy-file grammar (SPEC §1): optional BOM, optional whitespace, a full commit hash, free text.</summary>
public sealed class DeployFileParserTests
{
    private const string Path = "production/app.deploy";

    private static readonly string Sha1 = Hashes.Sha1("parser");
    private static readonly string Sha256 = Hashes.Sha256("parser");

    private static DeployFileParseResult Parse(string content) =>
        DeployFileParser.Parse(Encoding.UTF8.GetBytes(content), isWholeFile: true, Path);

    private static DeployFileParseResult Parse(byte[] content) =>
        DeployFileParser.Parse(content, isWholeFile: true, Path);

    private static string Hex(int length) => string.Concat(Enumerable.Repeat(Sha256, 3))[..length];

    private static DeployFileError ShouldFail(DeployFileParseResult result, DeployFileErrorCode code, int line, string fix)
    {
        result.IsValid.ShouldBeFalse();
        result.Content.ShouldBeNull();
        var error = result.Error.ShouldNotBeNull();
        error.Code.ShouldBe(code);
        error.Path.ShouldBe(Path);
        error.Line.ShouldBe(line);
        error.Message.ShouldContain(fix);
        // What an operator sees: "<path>:<line>: <message>".
        error.ToString().ShouldStartWith($"{Path}:{line}: ");
        return error;
    }

    private static void ShouldAccept(DeployFileParseResult result, string commit, int line)
    {
        result.Error.ShouldBeNull();
        result.IsValid.ShouldBeTrue();
        result.Content.ShouldBe(new DeployFileContent(commit, line));
    }

    public static TheoryData<string, string, DeployFileErrorCode, int, string> Rejected => new()
    {
        { "an empty file names no commit", "", DeployFileErrorCode.Empty, 1, "its first line must be the full commit hash" },
        { "a byte-order mark alone is an empty file", "\uFEFF", DeployFileErrorCode.Empty, 1, "its first line must be the full commit hash" },
        { "spaces only", "   ", DeployFileErrorCode.WhitespaceOnly, 1, "its first line must be the full commit hash" },
        { "blank lines only: the line is where reading ended", " \n\t\n", DeployFileErrorCode.WhitespaceOnly, 3, "its first line must be the full commit hash" },
        { "BOM then CRLF blank lines only", "\uFEFF\r\n\r\n", DeployFileErrorCode.WhitespaceOnly, 3, "its first line must be the full commit hash" },
        { "a 7-digit short hash", "1234567\n", DeployFileErrorCode.ShortHash, 1, "use the full 40-character hash: short hashes become ambiguous" },
        { "a 12-digit short hash after blank lines", "\n\n" + Sha1[..12] + "\n", DeployFileErrorCode.ShortHash, 3, "use the full 40-character hash" },
        { "39 digits is still an abbreviation", Sha1[..39] + "\n", DeployFileErrorCode.ShortHash, 1, "use the full 40-character hash" },
        { "41 digits is no hash length", Hex(41) + "\n", DeployFileErrorCode.WrongLength, 1, "a full commit hash has 40 (SHA-1) or 64 (SHA-256)" },
        { "63 digits is no hash length", Hex(63) + "\n", DeployFileErrorCode.WrongLength, 1, "a full commit hash has 40 (SHA-1) or 64 (SHA-256)" },
        { "65 digits is no hash length", Hex(65) + "\n", DeployFileErrorCode.WrongLength, 1, "a full commit hash has 40 (SHA-1) or 64 (SHA-256)" },
        { "a 100-digit token is no hash length", Hex(100), DeployFileErrorCode.WrongLength, 1, "has 100 hex digits" },
        { "a non-hex letter in the middle", Sha1[..20] + "g" + Sha1[21..] + "\n", DeployFileErrorCode.NotHex, 1, "'g' at column 21 is not a hex digit" },
        { "a branch name moves", "main\n", DeployFileErrorCode.NotHex, 1, "branch and tag names move; a deploy file names one exact commit: use its full hash" },
        { "a tag name moves", "v1.2.3\n", DeployFileErrorCode.NotHex, 1, "branch and tag names move" },
        { "a remote branch name moves", "\n  origin/main\n", DeployFileErrorCode.NotHex, 2, "branch and tag names move" },
        { "a zero-width space is not whitespace", "\u200B" + Sha1 + "\n", DeployFileErrorCode.NotHex, 1, "at column 1 is not a hex digit" },
        { "an emoji glued to the hash is part of the token", Sha1 + "\U0001F680\n", DeployFileErrorCode.NotHex, 1, "'\U0001F680' at column 41 is not a hex digit" },
        { "a NUL byte on line 1 is binary", Sha1[..10] + "\0" + Sha1[10..], DeployFileErrorCode.Binary, 1, "a deploy file is UTF-8 text whose first token is a commit hash" },
        { "a NUL byte later in the window is binary too", Sha1 + "\n* note\n\0\n", DeployFileErrorCode.Binary, 3, "a deploy file is UTF-8 text" },
        { "a token starting at byte 4096 is too far", new string(' ', 4096) + Sha1 + "\n", DeployFileErrorCode.TokenTooFar, 1, "put the commit hash at the top of the file" },
        { "a token after 4100 blank lines is too far", new string('\n', 4100) + Sha1, DeployFileErrorCode.TokenTooFar, 4101, "past the first 4096 bytes" },
        { "5,000 blank lines: reading stops at the read limit", new string('\n', 5000) + Sha1 + "\n", DeployFileErrorCode.TokenTooFar, DeployFileParser.ReadLimit + 1, "within 4 KiB of the start of the file" },
    };

    [Theory]
    [MemberData(nameof(Rejected))]
    public void Parse_InvalidContent_ReportsCodeLineAndFix(string rule, string content, DeployFileErrorCode code, int line, string fix)
    {
        ShouldFail(Parse(content), code, line, fix);
        _ = rule; // names the case in the test explorer
    }

    public static TheoryData<string, string, int> Accepted => new()
    {
        { "a bare SHA-1 hash", Sha1, 1 },
        { "a SHA-1 hash and a newline", Sha1 + "\n", 1 },
        { "the conventional history file", Hashes.DeployFile(Sha1, "Deploy alarms X, Y and Z") + Hashes.DeployFile(Hashes.Sha1("older")), 1 },
        { "a byte-order mark before the hash", "\uFEFF" + Sha1 + "\n", 1 },
        { "CRLF line endings", Sha1 + "\r\n* note\r\n", 1 },
        { "leading CRLF blank lines count lines", "\r\n\r\n" + Sha1 + "\r\n", 3 },
        { "leading blank lines count lines", "\n\n\n" + Sha1 + "\n", 4 },
        { "tabs and spaces before the token", " \t \t" + Sha1 + "\n", 1 },
        { "BOM, blank line and indentation", "\uFEFF\n\t  " + Sha1, 2 },
        { "free text after a space on the same line", Sha1 + " deploy alarms X and Y\n", 1 },
        { "free text after a tab on the same line", Sha1 + "\tdeploy\n", 1 },
        { "an emoji in the free text", Sha1 + " \U0001F680 ship it\n* \U0001F389\n", 1 },
        { "a non-breaking space (Unicode whitespace) before the hash", "\u00A0" + Sha1 + "\n", 1 },
        { "a token starting at byte 4095 is within the window", new string(' ', 4095) + Sha1 + "\n", 1 },
        { "a NUL byte past the read limit is never read", Sha1 + "\n" + new string('x', DeployFileParser.ReadLimit) + "\0", 1 },
        { "accented letters in the free text", Sha1 + " caf\u00E9\n", 1 },
    };

    [Theory]
    [MemberData(nameof(Accepted))]
    public void Parse_ValidContent_ReturnsTheCommitAndItsLine(string rule, string content, int line)
    {
        ShouldAccept(Parse(content), Sha1, line);
        _ = rule; // names the case in the test explorer
    }

    [Fact]
    public void Parse_Sha256Hash_IsAccepted()
    {
        ShouldAccept(Parse(Sha256 + "\n* SHA-256 repository\n"), Sha256, 1);
    }

    public static TheoryData<string, string> CaseVariants => new()
    {
        { "uppercase SHA-1", Sha1.ToUpperInvariant() },
        { "mixed-case SHA-1", string.Concat(Sha1.Select((c, i) => i % 2 == 0 ? char.ToUpperInvariant(c) : c)) },
        { "uppercase SHA-256 after a BOM", "\uFEFF" + Sha256.ToUpperInvariant() },
    };

    [Theory]
    [MemberData(nameof(CaseVariants))]
    public void Parse_UpperOrMixedCase_IsNormalisedToLowercase(string rule, string token)
    {
        _ = rule;
        token.Any(char.IsAsciiLetterUpper).ShouldBeTrue();

        var result = Parse(token + "\n");

        ShouldAccept(result, token.TrimStart('\uFEFF').ToLowerInvariant(), 1);
    }

    [Fact]
    public void Parse_UppercaseSha256_IsNormalisedToLowercase()
    {
        ShouldAccept(Parse(Sha256.ToUpperInvariant()), Sha256, 1);
    }

    [Fact]
    public void Parse_ShortHash_ReportsLineAndFix()
    {
        var error = ShouldFail(Parse("\n" + Sha1[..7] + "\n* Deploy\n"), DeployFileErrorCode.ShortHash, 2,
            "use the full 40-character hash: short hashes become ambiguous");
        error.Message.ShouldContain($"'{Sha1[..7]}'");
        error.Message.ShouldContain("7 hex digits");
        error.ToString().ShouldBe($"{Path}:2: {error.Message}");
    }

    [Fact]
    public void Parse_TokenLongerThanTheReadWindow_IsWrongLength()
    {
        // The file is longer than what is read, so the token is cut: the parser cannot know its end.
        var result = DeployFileParser.Parse(Encoding.UTF8.GetBytes(Hex(64) + new string('a', 5000)), isWholeFile: true, Path);

        ShouldFail(result, DeployFileErrorCode.WrongLength, 1, "longer than 64 characters");
    }

    [Fact]
    public void Parse_OnlyAPrefixGiven_JudgesAnUnfinishedTokenAsTooLong()
    {
        // isWholeFile: false means "more may follow": a 64-digit prefix with nothing after it is not proof of a hash.
        var result = DeployFileParser.Parse(Encoding.UTF8.GetBytes(Sha256), isWholeFile: false, Path);

        ShouldFail(result, DeployFileErrorCode.WrongLength, 1, "expected a full commit hash of 40 (SHA-1) or 64 (SHA-256) hex digits");
    }

    [Fact]
    public void Parse_InvalidUtf8BeforeTheToken_ReportsLine()
    {
        byte[] content = [(byte)'\n', (byte)'\n', 0xFF, .. Encoding.UTF8.GetBytes(Sha1)];

        var error = ShouldFail(Parse(content), DeployFileErrorCode.InvalidUtf8, 3, "save it as UTF-8 text");
        error.Message.ShouldContain("0xff");
    }

    [Fact]
    public void Parse_Latin1EncodedText_IsInvalidUtf8()
    {
        // "é" saved as Latin-1 by an old editor, before the hash.
        byte[] content = [(byte)'#', 0xE9, (byte)' ', .. Encoding.UTF8.GetBytes(Sha1)];

        // '#' starts the token, 0xE9 inside it is not UTF-8.
        ShouldFail(Parse(content), DeployFileErrorCode.InvalidUtf8, 1, "is not valid UTF-8 text");
    }

    [Fact]
    public void Parse_TruncatedMultiByteCharacterAtEndOfFile_IsInvalidUtf8()
    {
        byte[] content = [(byte)' ', 0xE2, 0x82];

        ShouldFail(Parse(content), DeployFileErrorCode.InvalidUtf8, 1, "save it as UTF-8 text");
    }

    [Fact]
    public void Parse_InvalidUtf8InTheFreeText_IsIgnored()
    {
        byte[] content = [.. Encoding.UTF8.GetBytes(Sha1 + " notes "), 0xFF, 0xFE, (byte)'\n'];

        ShouldAccept(Parse(content), Sha1, 1);
    }

    [Fact]
    public void Parse_Utf16File_IsBinary()
    {
        // Windows "Unicode" encoding: every ASCII character is followed by a NUL byte.
        var content = Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(Sha1 + "\n")).ToArray();

        ShouldFail(Parse(content), DeployFileErrorCode.Binary, 1, "binary content");
    }

    [Fact]
    public void Parse_BomAndTokenAtTheLastWindowByte_IsAccepted()
    {
        // The window is counted after the BOM: the read limit leaves room for a 64-digit token at 4095.
        var content = "\uFEFF" + new string(' ', DeployFileParser.TokenWindow - 1) + Sha256 + "\n" + new string('x', 10_000);

        ShouldAccept(Parse(content), Sha256, 1);
    }

    [Fact]
    public async Task ReadAsync_100MegabyteFile_ReadsAtMostTheReadLimit()
    {
        var head = Encoding.UTF8.GetBytes(Hashes.DeployFile(Sha1, "Deploy"));
        await using var stream = new LazyStream(head, filler: (byte)'*', length: 100L * 1024 * 1024);

        var result = await DeployFileParser.ReadAsync(stream, Path);

        ShouldAccept(result, Sha1, 1);
        stream.BytesRead.ShouldBeLessThanOrEqualTo(DeployFileParser.ReadLimit);
        stream.BytesRead.ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task ReadAsync_100MegabytesOfWhitespace_ReportsTokenTooFarAfterReadingTheLimit()
    {
        await using var stream = new LazyStream([], filler: (byte)' ', length: 100L * 1024 * 1024);

        var result = await DeployFileParser.ReadAsync(stream, Path);

        ShouldFail(result, DeployFileErrorCode.TokenTooFar, 1, "within 4 KiB of the start of the file");
        stream.BytesRead.ShouldBe(DeployFileParser.ReadLimit);
    }

    [Fact]
    public async Task ReadAsync_StreamReturningOneByteAtATime_ParsesTheWholeToken()
    {
        var head = Encoding.UTF8.GetBytes("\uFEFF\r\n" + Sha256.ToUpperInvariant() + "\r\n* note\r\n");
        await using var stream = new LazyStream(head, filler: (byte)'\n', length: head.Length, maxChunk: 1);

        var result = await DeployFileParser.ReadAsync(stream, Path);

        ShouldAccept(result, Sha256, 2);
    }

    [Fact]
    public async Task ReadAsync_EmptyStream_IsEmpty()
    {
        await using var stream = new LazyStream([], filler: 0, length: 0);

        ShouldFail(await DeployFileParser.ReadAsync(stream, Path), DeployFileErrorCode.Empty, 1, "the file is empty");
    }

    [Fact]
    public async Task ReadAsync_LargeSparseFileOnDisk_ReadsOnlyTheHead()
    {
        // A real file: the hash and some notes, then 100 MB of zero bytes the parser must never reach.
        using var dir = new TempDirectory();
        var file = dir.Combine("app.deploy");
        await using (var write = File.Create(file))
        {
            await write.WriteAsync(Encoding.UTF8.GetBytes(Hashes.DeployFile(Sha1) + new string('-', DeployFileParser.ReadLimit)));
            write.SetLength(100L * 1024 * 1024);
        }

        await using var read = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        var result = await DeployFileParser.ReadAsync(read, Path);

        ShouldAccept(result, Sha1, 1);
        read.Position.ShouldBeLessThanOrEqualTo(DeployFileParser.ReadLimit);
    }

    [Fact]
    public void ReadLimit_CoversBomWindowLongestTokenAndTerminator()
    {
        DeployFileParser.ReadLimit.ShouldBe(3 + DeployFileParser.TokenWindow + CommitHash.Sha256Length + 1);
    }

    [Fact]
    public async Task ReadAsync_NullStream_Throws()
    {
        await Should.ThrowAsync<ArgumentNullException>(async () => await DeployFileParser.ReadAsync(null!, Path));
    }

    /// <summary>
    /// A read-only stream of <c>head</c> followed by <c>filler</c> bytes up to <c>length</c>, produced on
    /// demand so that a 100 MB "file" costs nothing; it counts the bytes handed out.
    /// </summary>
    private sealed class LazyStream(byte[] head, byte filler, long length, int maxChunk = int.MaxValue) : Stream
    {
        private long _position;

        public long BytesRead => _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var count = (int)Math.Min(Math.Min(buffer.Length, maxChunk), length - _position);
            for (var i = 0; i < count; i++, _position++)
            {
                buffer[i] = _position < head.Length ? head[_position] : filler;
            }

            return count;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer.AsSpan(offset, count)));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
