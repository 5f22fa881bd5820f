namespace DeployGuard.Sandbox;

/// <summary>
/// Faults to inject. Each request (after it is recorded, before anything else) takes the first
/// fault whose method and path prefix match and which has uses left, and uses it up by one.
/// </summary>
public sealed class EmulatorFaults
{
    private readonly Lock _lock = new();
    private readonly List<Entry> _entries = [];

    /// <summary>
    /// Adds a fault for requests with <paramref name="method"/> ("GET", or "*" for any) whose path,
    /// after <see cref="GitHubEmulatorOptions.PathPrefix"/> and without the query, starts with
    /// <paramref name="pathPrefix"/>, e.g. "/repos/acme/app/pulls".
    /// </summary>
    public void Add(string method, string pathPrefix, EmulatorFault fault)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(method);
        ArgumentNullException.ThrowIfNull(pathPrefix);
        ArgumentNullException.ThrowIfNull(fault);
        lock (_lock)
        {
            _entries.Add(new Entry(method, pathPrefix, fault) { Remaining = fault.Times });
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _entries.Clear();
        }
    }

    /// <summary>The fault this request gets, counted down atomically so concurrent requests never share the last use.</summary>
    internal EmulatorFault? Take(string method, string path)
    {
        lock (_lock)
        {
            foreach (var entry in _entries)
            {
                if (entry.Remaining > 0
                    && (entry.Method == "*" || string.Equals(entry.Method, method, StringComparison.OrdinalIgnoreCase))
                    && path.StartsWith(entry.PathPrefix, StringComparison.Ordinal))
                {
                    entry.Remaining--;
                    return entry.Fault;
                }
            }

            return null;
        }
    }

    private sealed record Entry(string Method, string PathPrefix, EmulatorFault Fault)
    {
        public int Remaining { get; set; }
    }
}
