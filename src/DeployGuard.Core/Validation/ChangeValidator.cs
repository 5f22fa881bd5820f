using System.Text;
using DeployGuard.Core.DeployFiles;
using DeployGuard.Core.Policy;

namespace DeployGuard.Core.Validation;

public enum Severity
{
    Error,
    Warning,
}

/// <summary>One problem found by <c>deployguard check</c>, naming the file and line.</summary>
public sealed record ValidationProblem(string Path, int Line, int Column, Severity Severity, string Code, string Message)
{
    public override string ToString()
    {
        var where = Line > 0 ? (Column > 0 ? $"{Path}:{Line}:{Column}" : $"{Path}:{Line}") : Path;
        return $"{where}: {(Severity == Severity.Error ? "error" : "warning")}: {Message}";
    }

    public static ValidationProblem From(DeployFileError error, Severity severity = Severity.Error) =>
        new(error.Path, error.Line, 0, severity, error.Code.ToString(), error.Message);

    public static ValidationProblem From(PolicyError error) =>
        new(error.File, error.Line, error.Column, Severity.Error, "Policy", error.Key.Length == 0 ? error.Message : $"{error.Key}: {error.Message}");
}

/// <summary>A file as it was before and after a change; null content means absent on that side.</summary>
public sealed record ChangedFile(string Path, string? Mode, ReadOnlyMemory<byte>? Before, ReadOnlyMemory<byte>? After, bool AfterIsWhole = true);

/// <summary>What <c>check</c> found: problems (errors and warnings) and the deploy files it looked at.</summary>
public sealed record ValidationReport(IReadOnlyList<ValidationProblem> Problems, IReadOnlyList<string> CheckedFiles)
{
    public bool HasErrors => Problems.Any(p => p.Severity == Severity.Error);
}

/// <summary>
/// Validates a change to the deploy repository before it merges: layout, deploy-file grammar,
/// the append-only history rule, the policy file, and that every deploy file names an
/// environment and app the policy knows. Pure: the caller supplies the contents.
/// </summary>
public sealed class ChangeValidator(DeployLayout layout)
{
    /// <param name="files">Changed files under the layout (deploy files, the policy, others are ignored).</param>
    /// <param name="policyBefore">The policy text before the change (null: none); it judges the deploys of this change.</param>
    /// <param name="policyAfter">The policy text after the change (null: none).</param>
    public ValidationReport Validate(IEnumerable<ChangedFile> files, string? policyBefore, string? policyAfter)
    {
        var problems = new List<ValidationProblem>();
        var checkedFiles = new List<string>();

        var after = ParsePolicy(policyAfter, problems);
        var before = policyBefore == policyAfter ? after : ParsePolicy(policyBefore, problems: null);
        var judging = before ?? (policyBefore is null ? null : DeployPolicy.Empty);

        foreach (var file in files.OrderBy(f => f.Path, StringComparer.Ordinal))
        {
            var classification = layout.Classify(file.Path);
            if (classification.Kind == PathKind.LayoutError)
            {
                if (file.After is not null)
                {
                    problems.Add(ValidationProblem.From(classification.Error!));
                }

                continue;
            }

            if (classification.Location is not { } location)
            {
                continue;
            }

            checkedFiles.Add(file.Path);
            if (file.After is not { } content)
            {
                continue; // A deletion removes the app from the environment; nothing to parse.
            }

            if (file.Mode is { } mode && DeployLayout.CheckMode(file.Path, mode) is { } modeError)
            {
                problems.Add(ValidationProblem.From(modeError));
                continue;
            }

            var parsed = DeployFileParser.Parse(content.Span, file.AfterIsWhole, file.Path);
            if (parsed.Error is { } error)
            {
                problems.Add(ValidationProblem.From(error));
            }

            if (file.Before is { } previous && DeployFileHistory.Check(file.Path, previous.Span, content.Span) is { } rewritten)
            {
                // The policy before the change judges it: a PR cannot switch off the rule it breaks.
                var protect = (judging ?? after)?.RulesFor(location.Environment)?.ProtectHistory ?? true;
                problems.Add(ValidationProblem.From(rewritten, protect ? Severity.Error : Severity.Warning));
            }

            if (policyBefore is not null && before is null)
            {
                // The policy's own errors are listed once; here only what they mean for this file.
                if (after is not null)
                {
                    problems.Add(new ValidationProblem(file.Path, parsed.Content?.Line ?? 1, 0, Severity.Error, "InvalidPolicy",
                        $"the policy before this change is invalid and it is the one that judges this deploy: merge the policy fix first, then deploy"));
                }

                continue;
            }

            CheckKnown(location, file.Path, parsed.Content?.Line ?? 1, judging, after, problems);
        }

        return new ValidationReport(problems, checkedFiles);
    }

    private void CheckKnown(DeployFileLocation location, string path, int line, DeployPolicy? judging, DeployPolicy? after, List<ValidationProblem> problems)
    {
        if (judging is null)
        {
            var addedWithIt = after is not null && after.Environments.ContainsKey(location.Environment) && after.Apps.ContainsKey(location.App);
            problems.Add(new ValidationProblem(path, addedWithIt ? line : 0, 0, Severity.Error, "NoPolicy", addedWithIt
                ? $"{layout.PolicyPath} is added by this same change, but a deploy is judged by the policy before it: merge the policy change first, then deploy"
                : $"there is no {layout.PolicyPath}: without a policy nothing deploys; add one that lists environment '{location.Environment}' and app '{location.App}'"));
            return;
        }

        var policy = judging;
        var missingEnvironment = !policy.Environments.ContainsKey(location.Environment);
        var missingApp = !policy.Apps.ContainsKey(location.App);
        if (!missingEnvironment && !missingApp)
        {
            return;
        }

        var what = missingEnvironment ? $"environment '{location.Environment}'" : $"app '{location.App}'";
        var addedNow = after is not null &&
                       after.Environments.ContainsKey(location.Environment) && after.Apps.ContainsKey(location.App);
        var message = addedNow
            ? $"{what} is added to the policy by this same change, but a deploy is judged by the policy before it: merge the policy change first, then deploy"
            : $"{what} is not in {layout.PolicyPath}: the deploy would be refused";
        problems.Add(new ValidationProblem(path, line, 0, Severity.Error, missingEnvironment ? "UnknownEnvironment" : "UnknownApp", message));
    }

    private DeployPolicy? ParsePolicy(string? text, List<ValidationProblem>? problems)
    {
        if (text is null)
        {
            return null;
        }

        var result = PolicyParser.Parse(text, layout.PolicyPath);
        problems?.AddRange(result.Errors.Select(ValidationProblem.From));
        return result.Policy;
    }

    /// <summary>Decodes policy bytes, refusing content that is not UTF-8 text.</summary>
    public static string DecodePolicy(ReadOnlySpan<byte> bytes)
    {
        var text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        return text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text;
    }
}
