using System.Globalization;
using System.Text;

namespace DeployGuard.Core.Ledger;

/// <summary>The outcome of an intent as recorded in the ledger (SPEC §6).</summary>
public enum DeployStatus
{
    Pending,
    Triggered,
    Succeeded,
    Failed,
    Refused,
    Superseded,
    Deferred,
    Removed,
}

/// <summary>
/// One block of a ledger note: what happened to one intent. Written as git trailer lines so ops
/// read it with plain <c>git log --notes=deployguard</c>.
/// </summary>
public sealed record LedgerEntry
{
    public required string Environment { get; init; }
    public required string App { get; init; }
    public required string DeployId { get; init; }
    public string? Commit { get; init; }
    public string? PreviousCommit { get; init; }
    public required DeployStatus Status { get; init; }
    public int? PullRequest { get; init; }
    public IReadOnlyList<string> ApprovedBy { get; init; } = [];
    public string? Pipeline { get; init; }
    public string? Run { get; init; }
    public bool Rollback { get; init; }

    /// <summary>Every reason, joined with "; " (a refused intent records all failing checks).</summary>
    public string? Reason { get; init; }

    public required DateTimeOffset At { get; init; }

    /// <summary>Trailers this version does not know, kept so a newer writer's data survives a rewrite.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Extra { get; init; } = [];

    public string Key => $"{Environment}/{App}";

    public static string Format(DeployStatus status) => status.ToString().ToLowerInvariant();
}

/// <summary>Reads and writes ledger notes: blocks of trailer lines separated by a blank line.</summary>
public static class LedgerNote
{
    private static readonly string[] Known =
    [
        "Deploy", "Deploy-Id", "Commit", "Previous-Commit", "Status", "Pull-Request", "Approved-By",
        "Pipeline", "Run", "Rollback", "Reason", "At",
    ];

    public static string Write(IEnumerable<LedgerEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var text = new StringBuilder();
        foreach (var e in entries)
        {
            if (text.Length > 0)
            {
                text.Append('\n');
            }

            Line(text, "Deploy", e.Key);
            Line(text, "Deploy-Id", e.DeployId);
            Line(text, "Commit", e.Commit);
            Line(text, "Previous-Commit", e.PreviousCommit);
            Line(text, "Status", LedgerEntry.Format(e.Status));
            Line(text, "Pull-Request", e.PullRequest is { } pr ? $"#{pr.ToString(CultureInfo.InvariantCulture)}" : null);
            Line(text, "Approved-By", string.Join(", ", e.ApprovedBy));
            Line(text, "Pipeline", e.Pipeline);
            Line(text, "Run", e.Run);
            Line(text, "Rollback", e.Rollback ? "yes" : "no");
            Line(text, "Reason", e.Reason);
            Line(text, "At", e.At.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            foreach (var (key, value) in e.Extra)
            {
                Line(text, key, value);
            }
        }

        return text.ToString();
    }

    /// <summary>
    /// Parses a note. Blocks that are not DeployGuard's (no Deploy-Id, or unreadable) are skipped
    /// rather than failing the read: a note edited by hand must not stop the controller.
    /// </summary>
    public static IReadOnlyList<LedgerEntry> Read(string note)
    {
        ArgumentNullException.ThrowIfNull(note);
        var entries = new List<LedgerEntry>();
        foreach (var block in note.Replace("\r\n", "\n", StringComparison.Ordinal).Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = new List<KeyValuePair<string, string>>();
            foreach (var line in block.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0)
                {
                    fields.Add(new(line[..colon].Trim(), line[(colon + 1)..].Trim()));
                }
            }

            if (Parse(fields) is { } entry)
            {
                entries.Add(entry);
            }
        }

        return entries;
    }

    /// <summary>The note with <paramref name="entry"/> in place of any block with the same deploy id, or added.</summary>
    public static string Upsert(string? note, LedgerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var entries = note is null ? [] : Read(note).Where(e => e.DeployId != entry.DeployId).ToList();
        entries.Add(entry);
        return Write(entries);
    }

    private static LedgerEntry? Parse(List<KeyValuePair<string, string>> fields)
    {
        string? Get(string key) => fields.FirstOrDefault(f => f.Key == key).Value is { Length: > 0 } v ? v : null;

        var deploy = Get("Deploy");
        var slash = deploy?.IndexOf('/', StringComparison.Ordinal) ?? -1;
        if (Get("Deploy-Id") is not { } id || slash <= 0 ||
            !Enum.TryParse<DeployStatus>(Get("Status"), ignoreCase: true, out var status) ||
            !DateTimeOffset.TryParse(Get("At"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            return null;
        }

        int? pullRequest = Get("Pull-Request") is { } pr && int.TryParse(pr.TrimStart('#'), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
        return new LedgerEntry
        {
            Environment = deploy![..slash],
            App = deploy[(slash + 1)..],
            DeployId = id,
            Commit = Get("Commit"),
            PreviousCommit = Get("Previous-Commit"),
            Status = status,
            PullRequest = pullRequest,
            ApprovedBy = Get("Approved-By")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [],
            Pipeline = Get("Pipeline"),
            Run = Get("Run"),
            Rollback = Get("Rollback") == "yes",
            Reason = Get("Reason"),
            At = at,
            Extra = fields.Where(f => !Known.Contains(f.Key, StringComparer.Ordinal)).ToList(),
        };
    }

    /// <summary>One trailer line; a value can never break the format (no newline, no blank line).</summary>
    private static void Line(StringBuilder text, string key, string? value)
    {
        var clean = (value ?? "").Replace("\r", " ", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal).Trim();
        text.Append(key).Append(':');
        if (clean.Length > 0)
        {
            text.Append(' ').Append(clean);
        }

        text.Append('\n');
    }
}
