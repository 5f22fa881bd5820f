using System.Text;

namespace DeployGuard.Core.DeployFiles;

/// <summary>
/// The append-at-the-top rule: a change may prepend lines to a deploy file, but the lines of the
/// previous version must follow unchanged. Rewriting history hides what ran where and when.
/// </summary>
public static class DeployFileHistory
{
    /// <summary>The largest file the history check compares; larger ones are reported, not read.</summary>
    public const int MaxComparedBytes = 1024 * 1024;

    public static DeployFileError? Check(string path, ReadOnlySpan<byte> previous, ReadOnlySpan<byte> current)
    {
        if (previous.Length > MaxComparedBytes || current.Length > MaxComparedBytes)
        {
            return new DeployFileError(path, 0, DeployFileErrorCode.TooLargeToCompare,
                $"the file is larger than {MaxComparedBytes / 1024} KiB, too large to verify that its history was only prepended to");
        }

        var oldLines = Lines(previous);
        var newLines = Lines(current);
        // Compare from the bottom: prepending shifts every old line down by the same amount, so
        // the first difference seen from the end is the line that was changed or dropped.
        var shift = newLines.Count - oldLines.Count;
        for (var i = oldLines.Count - 1; i >= 0; i--)
        {
            var j = i + shift;
            if (j >= 0 && string.Equals(oldLines[i], newLines[j], StringComparison.Ordinal))
            {
                continue;
            }

            return new DeployFileError(path, Math.Max(j, 0) + 1, DeployFileErrorCode.HistoryRewritten,
                $"history rewritten: line {i + 1} of the previous version ({Shorten(oldLines[i])}) was changed or removed; " +
                "add new entries at the top and leave older lines as they were");
        }

        return null;
    }

    private static List<string> Lines(ReadOnlySpan<byte> content)
    {
        if (content.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            content = content[3..];
        }

        var lines = Encoding.UTF8.GetString(content).Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        while (lines.Count > 0 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        return lines;
    }

    private static string Shorten(string line) => line.Length <= 60 ? $"'{line}'" : $"'{line[..57]}...'";
}
