using System.Text.RegularExpressions;

namespace DeployGuard.Core.DeployFiles;

/// <summary>Where a deploy file lives: environment "production", app "app" for <c>production/app.deploy</c>.</summary>
public sealed record DeployFileLocation(string Environment, string App, string Path)
{
    public string Key => $"{Environment}/{App}";
}

/// <summary>How a repository path relates to the deploy layout.</summary>
public enum PathKind
{
    /// <summary>Not a deploy file and not the policy: ignored.</summary>
    Other,
    DeployFile,
    Policy,
    /// <summary>Looks like a deploy file but breaks the layout rules.</summary>
    LayoutError,
}

/// <summary>The classification of one path, with the location or the layout error.</summary>
public readonly record struct PathClassification(PathKind Kind, DeployFileLocation? Location, DeployFileError? Error);

/// <summary>
/// The layout rules of SPEC §1: a deploy file is exactly <c>&lt;root&gt;/&lt;environment&gt;/&lt;app&gt;.deploy</c>.
/// Paths are git paths: '/'-separated and relative to the repository root.
/// </summary>
public sealed partial class DeployLayout
{
    public const string Extension = ".deploy";
    public const string PolicyFileName = "deployguard.yml";

    private readonly string _prefix;

    /// <param name="root">The folder holding the environment folders, relative to the repository root; "." or "" for the root itself.</param>
    public DeployLayout(string root = ".")
    {
        Root = NormalizeRoot(root);
        _prefix = Root.Length == 0 ? string.Empty : Root + "/";
    }

    /// <summary>The root folder without leading or trailing slashes; empty for the repository root.</summary>
    public string Root { get; }

    /// <summary>The repository path of the policy file.</summary>
    public string PolicyPath => _prefix + PolicyFileName;

    /// <summary>The git pathspec that limits history to this layout, or null for the whole repository.</summary>
    public string? Pathspec => Root.Length == 0 ? null : Root + "/";

    public static bool IsValidName(string name) => NamePattern().IsMatch(name);

    public string PathOf(string environment, string app) => $"{_prefix}{environment}/{app}{Extension}";

    /// <summary>
    /// How <paramref name="path"/> relates to the layout. Answers are remembered (up to
    /// <see cref="MaxCachedPaths"/> paths): a scan meets the same deploy files again and again.
    /// </summary>
    public PathClassification Classify(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (_classified.TryGetValue(path, out var known))
        {
            return known;
        }

        var result = ClassifyUncached(path);
        if (_classified.Count < MaxCachedPaths)
        {
            _classified.TryAdd(path, result);
        }

        return result;
    }

    /// <summary>Bounds the memory of the classification cache in a long-running service.</summary>
    public const int MaxCachedPaths = 100_000;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, PathClassification> _classified = new(StringComparer.Ordinal);

    private PathClassification ClassifyUncached(string path)
    {
        if (!path.StartsWith(_prefix, StringComparison.Ordinal))
        {
            return new(PathKind.Other, null, null);
        }

        var relative = path[_prefix.Length..];
        if (relative == PolicyFileName)
        {
            return new(PathKind.Policy, null, null);
        }

        var fileName = relative[(relative.LastIndexOf('/') + 1)..];
        if (!fileName.EndsWith(Extension, StringComparison.OrdinalIgnoreCase))
        {
            return new(PathKind.Other, null, null);
        }

        if (!fileName.EndsWith(Extension, StringComparison.Ordinal))
        {
            return LayoutError(path, DeployFileErrorCode.ExtensionCase,
                $"the extension must be lowercase '{Extension}': rename the file to '{fileName[..^Extension.Length]}{Extension}'");
        }

        var parts = relative.Split('/');
        if (parts.Length != 2)
        {
            var where = parts.Length == 1 ? "at the top of the deploy folder" : $"{parts.Length - 1} folders deep";
            return LayoutError(path, DeployFileErrorCode.LayoutDepth,
                $"a deploy file must be <environment>/<app>{Extension}, one folder deep; this one is {where}");
        }

        var environment = parts[0];
        var app = parts[1][..^Extension.Length];
        if (!IsValidName(environment))
        {
            return LayoutError(path, DeployFileErrorCode.InvalidEnvironmentName,
                $"environment name '{environment}' is invalid: {NameRule}");
        }

        if (!IsValidName(app))
        {
            return LayoutError(path, DeployFileErrorCode.InvalidAppName,
                $"app name '{app}' is invalid: {NameRule}");
        }

        return new(PathKind.DeployFile, new DeployFileLocation(environment, app, path), null);
    }

    /// <summary>A deploy file must be a regular git blob: a symbolic link could point anywhere, a submodule is no file.</summary>
    public static DeployFileError? CheckMode(string path, string mode) => mode switch
    {
        "100644" or "100755" => null,
        "120000" => new DeployFileError(path, 0, DeployFileErrorCode.NotARegularFile,
            "a deploy file must be a regular file, not a symbolic link: a link could point at another environment's file"),
        "160000" => new DeployFileError(path, 0, DeployFileErrorCode.NotARegularFile,
            "a deploy file must be a regular file, not a submodule"),
        _ => new DeployFileError(path, 0, DeployFileErrorCode.NotARegularFile,
            $"a deploy file must be a regular file (git mode {mode})"),
    };

    internal const string NameRule =
        "names are 1 to 63 characters of lowercase letters, digits, '.', '_' and '-', starting with a letter or digit";

    private static PathClassification LayoutError(string path, DeployFileErrorCode code, string message) =>
        new(PathKind.LayoutError, null, new DeployFileError(path, 0, code, message));

    private static string NormalizeRoot(string root)
    {
        var trimmed = (root ?? ".").Replace('\\', '/').Trim('/');
        if (trimmed is "." or "")
        {
            return string.Empty;
        }

        if (trimmed.StartsWith("./", StringComparison.Ordinal))
        {
            trimmed = trimmed[2..];
        }

        if (trimmed.Split('/').Any(p => p is ".." or "." or ""))
        {
            throw new ArgumentException($"the deploy root '{root}' must be a plain folder path inside the repository", nameof(root));
        }

        return trimmed;
    }

    // \A and \z, not ^ and $: in .NET '$' also matches before a final newline.
    [GeneratedRegex(@"\A[a-z0-9][a-z0-9._-]{0,62}\z", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
