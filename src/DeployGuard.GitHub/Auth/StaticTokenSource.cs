namespace DeployGuard.GitHub.Auth;

/// <summary>
/// A fixed token (a fine-grained personal access token, or one an outer system rotates in a file).
/// From a file, the token is read on first use and again after GitHub refuses it, so a rotated file is picked up
/// without a restart.
/// </summary>
public sealed class StaticTokenSource : IGitHubTokenSource
{
    private readonly string? _token;
    private readonly string? _file;
    private readonly Lock _lock = new();
    private string? _fromFile;

    private StaticTokenSource(string? token, string? file)
    {
        _token = token;
        _file = file;
    }

    public static StaticTokenSource FromToken(string token) =>
        new(TokenText.Validate(token, "DeployGuard:GitHub:Token"), null);

    public static StaticTokenSource FromFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return new(null, path);
    }

    public async ValueTask<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        if (_token is not null)
        {
            return _token;
        }

        lock (_lock)
        {
            if (_fromFile is not null)
            {
                return _fromFile;
            }
        }

        string text;
        try
        {
            text = await File.ReadAllTextAsync(_file!, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GitHubUnauthorizedException($"The GitHub token file '{_file}' cannot be read: {e.Message}");
        }

        var token = TokenText.Validate(text, $"the token file '{_file}'");
        lock (_lock)
        {
            _fromFile = token;
        }

        return token;
    }

    public void Invalidate()
    {
        lock (_lock)
        {
            _fromFile = null;
        }
    }

    public override string ToString() => _file is null ? "StaticTokenSource(token ***)" : $"StaticTokenSource(file {_file})";
}
