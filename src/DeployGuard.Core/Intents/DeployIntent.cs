using DeployGuard.Core.DeployFiles;

namespace DeployGuard.Core.Intents;

public enum IntentKind
{
    Deploy,
    Remove,
}

/// <summary>
/// One change of one deploy file on the watched branch: "run <see cref="Commit"/> in
/// <see cref="Environment"/>/<see cref="App"/>", or remove the app from the environment (SPEC §2).
/// </summary>
public sealed record DeployIntent
{
    public required string Environment { get; init; }
    public required string App { get; init; }
    public required string Path { get; init; }
    public required IntentKind Kind { get; init; }

    /// <summary>The application commit to run; null for a removal or an invalid deploy file.</summary>
    public string? Commit { get; init; }

    /// <summary>The application commit the file named at the deploy commit's first parent, if any.</summary>
    public string? PreviousCommit { get; init; }

    /// <summary>The deploy-repository commit that made this change.</summary>
    public required string DeployCommit { get; init; }

    /// <summary>
    /// The deploy commit's first parent: the policy there judges this intent, so a pull request
    /// cannot loosen the rules that judge it (SPEC §3). Null for a repository's first commit.
    /// </summary>
    public string? PolicyCommit { get; init; }

    /// <summary>Set when the new content of the deploy file is invalid: the intent is refused with it.</summary>
    public DeployFileError? FileError { get; init; }

    /// <summary>True when the same commit also changed the policy file (it then needs an admin's approval).</summary>
    public bool ChangesPolicy { get; init; }

    /// <summary>The deploy id of a newer intent for the same environment/app that replaces this one.</summary>
    public string? SupersededBy { get; init; }

    /// <summary>Stable across restarts: <c>&lt;environment&gt;.&lt;app&gt;.&lt;first 12 hex of deploy_commit&gt;</c>.</summary>
    public string DeployId => IdOf(Environment, App, DeployCommit);

    public string Key => $"{Environment}/{App}";

    public static string IdOf(string environment, string app, string deployCommit) =>
        $"{environment}.{app}.{CommitHash.Abbreviate(deployCommit)}";
}
