namespace DeployGuard.Core.DeployFiles;

/// <summary>What is wrong with a deploy file, precise enough to fix it without opening the code.</summary>
public enum DeployFileErrorCode
{
    Empty,
    WhitespaceOnly,
    ShortHash,
    WrongLength,
    NotHex,
    Binary,
    InvalidUtf8,
    TokenTooFar,
    LayoutDepth,
    InvalidEnvironmentName,
    InvalidAppName,
    ExtensionCase,
    NotARegularFile,
    HistoryRewritten,
    TooLargeToCompare,
}

/// <summary>
/// An error in a deploy file. <see cref="Line"/> is 1-based and 0 when the problem is the
/// file's place in the repository rather than its content.
/// </summary>
public sealed record DeployFileError(string Path, int Line, DeployFileErrorCode Code, string Message)
{
    public override string ToString() => Line > 0 ? $"{Path}:{Line}: {Message}" : $"{Path}: {Message}";
}
