using System.Text.Json;
using DeployGuard.Core.DeployFiles;
using DeployGuard.Core.Intents;
using DeployGuard.Core.Validation;
using DeployGuard.Git;

namespace DeployGuard.Cli;

/// <summary>
/// <c>deployguard check</c>: validates deploy files and the policy before they merge, so a pull
/// request is red before anyone reviews a bad deploy. Two modes: with <c>--base</c>/<c>--head</c>
/// it checks what a change (the PR) introduces; without, every file of a folder as it is on disk.
/// </summary>
internal static class CheckCommand
{
    public static async Task<int> RunAsync(CheckArguments args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(args.Repository))
        {
            await error.WriteLineAsync($"deployguard check: the folder '{args.Repository}' does not exist");
            return ExitCodes.Usage;
        }

        DeployLayout layout;
        try
        {
            layout = new DeployLayout(args.Root);
        }
        catch (ArgumentException ex)
        {
            await error.WriteLineAsync($"deployguard check: {ex.Message}");
            return ExitCodes.Usage;
        }

        ValidationReport report;
        string scope;
        if (args.Base is null && args.Head is null)
        {
            report = await CheckTreeAsync(args.Repository, layout, cancellationToken);
            scope = $"all deploy files under {Path.Combine(args.Repository, layout.Root)}";
        }
        else
        {
            var git = new GitCli();
            await using var repository = new GitDeployRepository(args.Repository, git);
            if (args.Base is null)
            {
                await error.WriteLineAsync("deployguard check: --head needs --base (the branch the change merges into)");
                return ExitCodes.Usage;
            }

            var @base = await repository.ResolveCommitAsync(args.Base, cancellationToken);
            var head = await repository.ResolveCommitAsync(args.Head ?? "HEAD", cancellationToken);
            if (@base is null || head is null)
            {
                await error.WriteLineAsync($"deployguard check: '{(@base is null ? args.Base : args.Head ?? "HEAD")}' is not a commit in {args.Repository}");
                return ExitCodes.Usage;
            }

            var mergeBase = await repository.MergeBaseAsync(@base, head, cancellationToken) ?? @base;
            report = await CheckChangeAsync(repository, layout, mergeBase, head, cancellationToken);
            scope = $"changes from {CommitHash.Abbreviate(mergeBase)} to {CommitHash.Abbreviate(head)}";
            var configuration = PullRequestChecks.LoadConfiguration();
            if (PullRequestChecks.Configured(configuration))
            {
                var remote = await PullRequestChecks.RunAsync(configuration, repository, layout, mergeBase, head, report.CheckedFiles, cancellationToken);
                report = report with { Problems = [.. report.Problems, .. remote] };
                scope += " (with the GitHub checks)";
            }
        }

        if (args.Json)
        {
            await WriteJsonAsync(report, output);
        }
        else
        {
            foreach (var problem in report.Problems)
            {
                await output.WriteLineAsync(problem.ToString());
            }

            var errors = report.Problems.Count(p => p.Severity == Severity.Error);
            var warnings = report.Problems.Count - errors;
            await output.WriteLineAsync(
                $"{(errors == 0 ? "ok" : "failed")}: {report.CheckedFiles.Count} deploy file(s) checked in {scope}; {errors} error(s), {warnings} warning(s)");
        }

        return report.HasErrors ? ExitCodes.Refused : ExitCodes.Success;
    }

    private static async Task<ValidationReport> CheckTreeAsync(string folder, DeployLayout layout, CancellationToken cancellationToken)
    {
        var files = new List<ChangedFile>();
        string? policy = null;
        var root = Path.GetFullPath(Path.Combine(folder, layout.Root));
        if (Directory.Exists(root))
        {
            var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true };
            foreach (var full in Directory.EnumerateFiles(root, "*", options))
            {
                var relative = Path.GetRelativePath(Path.GetFullPath(folder), full).Replace(Path.DirectorySeparatorChar, '/');
                if (relative.Split('/').Contains(".git"))
                {
                    continue;
                }

                var kind = layout.Classify(relative).Kind;
                if (kind == PathKind.Policy)
                {
                    policy = ChangeValidator.DecodePolicy(await ReadPrefixAsync(full, PolicyLimit, cancellationToken));
                }
                else if (kind is PathKind.DeployFile or PathKind.LayoutError)
                {
                    if (new FileInfo(full).LinkTarget is not null)
                    {
                        files.Add(new ChangedFile(relative, "120000", null, Array.Empty<byte>()));
                        continue;
                    }

                    var head = await ReadPrefixAsync(full, DeployFileParser.ReadLimit, cancellationToken);
                    files.Add(new ChangedFile(relative, "100644", null, head, AfterIsWhole: head.Length < DeployFileParser.ReadLimit));
                }
            }
        }

        return new ChangeValidator(layout).Validate(files, policy, policy);
    }

    private static async Task<ValidationReport> CheckChangeAsync(
        GitDeployRepository repository, DeployLayout layout, string @base, string head, CancellationToken cancellationToken)
    {
        var changes = await repository.DiffAsync(@base, head, layout.Pathspec, cancellationToken);
        var relevant = changes.Where(c => layout.Classify(c.Path).Kind is PathKind.DeployFile or PathKind.LayoutError).ToList();

        // The history rule compares whole files, so read up to its limit (and one byte more to see a file exceeds it).
        var blobs = relevant.SelectMany(c => new[] { c.OldBlob, c.NewBlob }).Where(b => !IsZero(b)).ToHashSet(StringComparer.Ordinal);
        var heads = await repository.ReadBlobHeadsAsync(blobs, DeployFileHistory.MaxComparedBytes + 1, cancellationToken);

        ReadOnlyMemory<byte>? Content(string blob, string mode) =>
            IsZero(blob) || mode == "160000" ? null : heads.TryGetValue(blob, out var h) ? h.Head : ReadOnlyMemory<byte>.Empty;

        var files = relevant.Select(c => new ChangedFile(
            c.Path,
            c.Status == ChangeStatus.Deleted ? null : c.NewMode,
            c.Status == ChangeStatus.Added ? null : Content(c.OldBlob, c.OldMode),
            c.Status == ChangeStatus.Deleted ? null : (Content(c.NewBlob, c.NewMode) ?? ReadOnlyMemory<byte>.Empty),
            !heads.TryGetValue(c.NewBlob, out var nh) || nh.IsWhole)).ToList();

        var before = await repository.ReadFileAsync(@base, layout.PolicyPath, PolicyLimit, cancellationToken);
        var after = await repository.ReadFileAsync(head, layout.PolicyPath, PolicyLimit, cancellationToken);
        return new ChangeValidator(layout).Validate(
            files,
            before is null ? null : ChangeValidator.DecodePolicy(before.Head.Span),
            after is null ? null : ChangeValidator.DecodePolicy(after.Head.Span));
    }

    private const int PolicyLimit = 1024 * 1024;

    private static bool IsZero(string blob) => blob.All(c => c == '0');

    private static async Task<byte[]> ReadPrefixAsync(string path, int limit, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1, useAsync: true);
        var buffer = new byte[limit];
        var filled = 0;
        int read;
        while (filled < limit && (read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken)) > 0)
        {
            filled += read;
        }

        return buffer[..filled];
    }

    private static async Task WriteJsonAsync(ValidationReport report, TextWriter output)
    {
        using var stream = new MemoryStream();
        await using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteBoolean("ok", !report.HasErrors);
            json.WriteStartArray("checked");
            foreach (var file in report.CheckedFiles)
            {
                json.WriteStringValue(file);
            }

            json.WriteEndArray();
            json.WriteStartArray("problems");
            foreach (var p in report.Problems)
            {
                json.WriteStartObject();
                json.WriteString("path", p.Path);
                json.WriteNumber("line", p.Line);
                json.WriteNumber("column", p.Column);
                json.WriteString("severity", p.Severity == Severity.Error ? "error" : "warning");
                json.WriteString("code", p.Code);
                json.WriteString("message", p.Message);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        await output.WriteLineAsync(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }
}

internal sealed record CheckArguments(string Repository, string? Base, string? Head, string Root, bool Json);
