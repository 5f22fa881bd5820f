namespace DeployGuard.Sandbox;

/// <summary>Every request in arrival order; the status is filled in as the answer starts, so a client never sees an answer before its record.</summary>
internal sealed class RequestLog
{
    private readonly Lock _lock = new();
    private readonly List<Entry> _entries = [];

    public Entry Start(string method, string pathAndQuery, bool hadAuthorization, string? ifNoneMatch)
    {
        var entry = new Entry(method, pathAndQuery, hadAuthorization, ifNoneMatch);
        lock (_lock)
        {
            _entries.Add(entry);
        }

        return entry;
    }

    public IReadOnlyList<RecordedRequest> Snapshot()
    {
        lock (_lock)
        {
            return [.. _entries.Select(e => new RecordedRequest(e.Method, e.PathAndQuery, e.StatusCode, e.HadAuthorization, e.IfNoneMatch))];
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _entries.Clear();
        }
    }

    internal sealed class Entry(string method, string pathAndQuery, bool hadAuthorization, string? ifNoneMatch)
    {
        private int _statusCode;

        public string Method { get; } = method;

        public string PathAndQuery { get; } = pathAndQuery;

        public bool HadAuthorization { get; } = hadAuthorization;

        public string? IfNoneMatch { get; } = ifNoneMatch;

        public int StatusCode => Volatile.Read(ref _statusCode);

        public bool IsComplete => StatusCode != 0;

        public void Complete(int statusCode) => Interlocked.CompareExchange(ref _statusCode, statusCode, 0);
    }
}
