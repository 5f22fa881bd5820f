using DeployGuard.Core.DeployFiles;
using DeployGuard.Core.Intents;
using DeployGuard.Core.Validation;

namespace DeployGuard.Core.Policy;

/// <summary>The policy in force at a commit, or why there is none usable.</summary>
/// <param name="Policy">The parsed policy; <see cref="DeployPolicy.Empty"/> when the file is absent.</param>
/// <param name="Problem">Set when the file exists but is invalid: every intent it governs is refused with it.</param>
public sealed record PolicyLookup(DeployPolicy? Policy, string? Problem);

/// <summary>
/// Reads <c>deployguard.yml</c> at a commit (the intent's policy commit: its first parent, SPEC §3).
/// A pass asks for the same commit many times, so answers are kept for a while; commits never change.
/// </summary>
public sealed class PolicySource(IDeployRepository repository, DeployLayout layout)
{
    private const int MaxPolicyBytes = 1024 * 1024;
    private const int MaxCached = 256;
    private readonly Dictionary<string, PolicyLookup> _cache = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public string PolicyPath => layout.PolicyPath;

    public async Task<PolicyLookup> AtAsync(string? commit, CancellationToken cancellationToken)
    {
        if (commit is null)
        {
            // The repository's first commit has no parent, so no policy judges it.
            return new PolicyLookup(DeployPolicy.Empty, null);
        }

        lock (_lock)
        {
            if (_cache.TryGetValue(commit, out var cached))
            {
                return cached;
            }
        }

        var lookup = await ReadAsync(commit, cancellationToken);
        lock (_lock)
        {
            if (_cache.Count >= MaxCached)
            {
                _cache.Clear();
            }

            _cache[commit] = lookup;
        }

        return lookup;
    }

    private async Task<PolicyLookup> ReadAsync(string commit, CancellationToken cancellationToken)
    {
        var file = await repository.ReadFileAsync(commit, layout.PolicyPath, MaxPolicyBytes, cancellationToken);
        if (file is null)
        {
            return new PolicyLookup(DeployPolicy.Empty, null);
        }

        if (!file.IsWhole)
        {
            return new PolicyLookup(null, $"{layout.PolicyPath} at {CommitHash.Abbreviate(commit)} is larger than {MaxPolicyBytes / 1024} KiB");
        }

        string text;
        try
        {
            text = ChangeValidator.DecodePolicy(file.Head.Span);
        }
        catch (System.Text.DecoderFallbackException)
        {
            return new PolicyLookup(null, $"{layout.PolicyPath} at {CommitHash.Abbreviate(commit)} is not valid UTF-8");
        }

        var parsed = PolicyParser.Parse(text, layout.PolicyPath);
        if (parsed.Policy is { } policy)
        {
            return new PolicyLookup(policy, null);
        }

        var errors = parsed.Errors.Take(3).Select(e => e.ToString()).ToList();
        var more = parsed.Errors.Count > 3 ? $" (and {parsed.Errors.Count - 3} more)" : "";
        return new PolicyLookup(null, $"the policy at {CommitHash.Abbreviate(commit)} is invalid: {string.Join("; ", errors)}{more}");
    }
}
