using System.Text;
using DeployGuard.Core.DeployFiles;
using DeployGuard.Tests.Support;

namespace DeployGuard.Tests.Core.DeployFiles;

/// <summary>The append-at-the-top rule (SPEC §1): prepending is fine, rewriting or dropping older lines is not.</summary>
public sealed class DeployFileHistoryTests
{
    private const string Path = "production/app.deploy";

    private static readonly string C1 = Hashes.Sha1("history-1");
    private static readonly string C2 = Hashes.Sha1("history-2");
    private static readonly string C3 = Hashes.Sha1("history-3");

    private static readonly string Previous = Hashes.DeployFile(C2, "Deploy changes to endpoint") + Hashes.DeployFile(C1, "First deploy");

    private static DeployFileError? Check(string previous, string current) =>
        DeployFileHistory.Check(Path, Encoding.UTF8.GetBytes(previous), Encoding.UTF8.GetBytes(current));

    public static TheoryData<string, string, string> Allowed => new()
    {
        { "prepending a deploy entry", Previous, Hashes.DeployFile(C3, "Deploy alarms X, Y and Z") + Previous },
        { "prepending several lines", Previous, $"{C3}\n* one\n* two\n\n" + Previous },
        { "an identical file", Previous, Previous },
        { "prepending to a file without a final newline", C1, Hashes.DeployFile(C2) + C1 },
        { "prepending with CRLF line endings", Previous, (Hashes.DeployFile(C3) + Previous).ReplaceLineEndings("\r\n") },
        { "converting the whole file to CRLF", Previous, Previous.ReplaceLineEndings("\r\n") },
        { "adding a byte-order mark", Previous, "\uFEFF" + Hashes.DeployFile(C3) + Previous },
        { "dropping trailing blank lines", Previous + "\n\n\n", Hashes.DeployFile(C3) + Previous },
        { "a previously empty file", "", Hashes.DeployFile(C1) },
    };

    [Theory]
    [MemberData(nameof(Allowed))]
    public void Check_OnlyPrepended_IsAccepted(string rule, string previous, string current)
    {
        _ = rule;
        Check(previous, current).ShouldBeNull();
    }

    public static TheoryData<string, string, string, int, int> Rewritten => new()
    {
        // rule, previous, current, old line named in the message, line of the current file reported;
        // the comparison runs from the bottom, so the last old line out of place is the one named.
        { "rewriting the old hash in place", Previous, Hashes.DeployFile(C3) + Previous.Replace(C2, C3, StringComparison.Ordinal), 1, 3 },
        { "editing an old note", Previous, Hashes.DeployFile(C3) + Previous.Replace("First deploy", "First deploy (edited)", StringComparison.Ordinal), 4, 6 },
        { "replacing the file instead of prepending", Previous, Hashes.DeployFile(C3), 4, 2 },
        { "emptying the file", Previous, "", 4, 1 },
    };

    [Theory]
    [MemberData(nameof(Rewritten))]
    public void Check_OlderLinesChanged_ReportsHistoryRewrittenNamingTheLine(string rule, string previous, string current, int oldLine, int line)
    {
        _ = rule;
        var error = Check(previous, current).ShouldNotBeNull();

        error.Code.ShouldBe(DeployFileErrorCode.HistoryRewritten);
        error.Path.ShouldBe(Path);
        error.Line.ShouldBe(line);
        error.Message.ShouldContain($"line {oldLine} of the previous version");
        error.Message.ShouldContain("add new entries at the top and leave older lines as they were");
    }

    public static TheoryData<string, string> Dropped => new()
    {
        { "dropping the last old line", Hashes.DeployFile(C3) + Hashes.DeployFile(C2, "Deploy changes to endpoint") + C1 + "\n" },
        { "dropping a middle line", Hashes.DeployFile(C3) + Previous.Replace("* Deploy changes to endpoint\n", "", StringComparison.Ordinal) },
        { "dropping the first old line", Hashes.DeployFile(C3) + Previous[(Previous.IndexOf('\n', StringComparison.Ordinal) + 1)..] },
    };

    [Theory]
    [MemberData(nameof(Dropped))]
    public void Check_OlderLineDropped_ReportsHistoryRewritten(string rule, string current)
    {
        _ = rule;
        var error = Check(Previous, current).ShouldNotBeNull();

        error.Code.ShouldBe(DeployFileErrorCode.HistoryRewritten);
        error.Path.ShouldBe(Path);
        error.Line.ShouldBeGreaterThan(0);
        error.Message.ShouldContain("was changed or removed");
    }

    [Fact]
    public void Check_RewrittenLine_QuotesTheOldLine()
    {
        var error = Check(Previous, Hashes.DeployFile(C3) + Previous.Replace(C2, C3, StringComparison.Ordinal)).ShouldNotBeNull();

        error.Message.ShouldContain($"('{C2}')");
    }

    [Fact]
    public void Check_LongOldLine_IsShortenedInTheMessage()
    {
        var longNote = "* " + new string('n', 200);
        var error = Check($"{C1}\n{longNote}\n", $"{C2}\n{C1}\n* short\n").ShouldNotBeNull();

        error.Message.ShouldContain($"'{longNote[..57]}...'");
        error.Message.ShouldNotContain(longNote);
    }

    [Fact]
    public void Check_PreviousOverOneMebibyte_IsTooLargeToCompare()
    {
        var big = new byte[DeployFileHistory.MaxComparedBytes + 1];
        Array.Fill(big, (byte)'\n');

        var error = DeployFileHistory.Check(Path, big, Encoding.UTF8.GetBytes(Previous)).ShouldNotBeNull();

        error.Code.ShouldBe(DeployFileErrorCode.TooLargeToCompare);
        error.Path.ShouldBe(Path);
        error.Message.ShouldContain("1024 KiB");
    }

    [Fact]
    public void Check_CurrentOverOneMebibyte_IsTooLargeToCompare()
    {
        var big = Encoding.UTF8.GetBytes(Hashes.DeployFile(C3) + Previous + new string('*', DeployFileHistory.MaxComparedBytes));

        DeployFileHistory.Check(Path, Encoding.UTF8.GetBytes(Previous), big)!.Code.ShouldBe(DeployFileErrorCode.TooLargeToCompare);
    }

    [Fact]
    public void Check_ExactlyOneMebibyte_IsCompared()
    {
        var previous = Encoding.UTF8.GetBytes(Previous);
        var current = new byte[DeployFileHistory.MaxComparedBytes];
        var prefix = Encoding.UTF8.GetBytes(C3 + "\n");
        Array.Fill(current, (byte)'*');
        prefix.CopyTo(current, 0);
        current[^(previous.Length + 1)] = (byte)'\n';
        previous.CopyTo(current, current.Length - previous.Length);

        DeployFileHistory.Check(Path, previous, current).ShouldBeNull();
    }

    // Regressions found while writing this suite: each failed before its fix.
    [Theory]
    [InlineData("last", 4, 5)]
    [InlineData("middle", 2, 3)]
    public void Check_DroppedOldLine_NamesTheDroppedLine(string which, int oldLine, int line)
    {
        var c1 = Hashes.Sha1("1"); var c2 = Hashes.Sha1("2"); var c3 = Hashes.Sha1("3");
        var previous = $"{c2}\n* second\n{c1}\n* first\n";
        var current = which == "last" ? $"{c3}\n* third\n{c2}\n* second\n{c1}\n" : $"{c3}\n* third\n{c2}\n{c1}\n* first\n";

        var error = DeployFileHistory.Check("production/app.deploy", Encoding.UTF8.GetBytes(previous), Encoding.UTF8.GetBytes(current))!;

        error.Message.ShouldContain($"line {oldLine} of the previous version");
        error.Line.ShouldBe(line);
    }
}
