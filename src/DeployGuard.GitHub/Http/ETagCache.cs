namespace DeployGuard.GitHub.Http;

/// <summary>
/// GET answers kept for conditional requests: URL → ETag, body and next-page link. A 304 costs no rate limit,
/// so an unchanged re-read is free. Bounded: the least recently used entry goes first.
/// </summary>
internal sealed class ETagCache(int capacity)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, LinkedListNode<KeyValuePair<string, CachedResponse>>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<KeyValuePair<string, CachedResponse>> _order = new();

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    public CachedResponse? Get(Uri uri)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(uri.AbsoluteUri, out var node))
            {
                return null;
            }

            _order.Remove(node);
            _order.AddLast(node);
            return node.Value.Value;
        }
    }

    public void Set(Uri uri, CachedResponse response)
    {
        if (capacity <= 0)
        {
            return;
        }

        var key = uri.AbsoluteUri;
        lock (_lock)
        {
            if (_entries.Remove(key, out var existing))
            {
                _order.Remove(existing);
            }

            _entries[key] = _order.AddLast(new KeyValuePair<string, CachedResponse>(key, response));
            while (_entries.Count > capacity && _order.First is { } oldest)
            {
                _order.RemoveFirst();
                _entries.Remove(oldest.Value.Key);
            }
        }
    }

    public void Remove(Uri uri)
    {
        lock (_lock)
        {
            if (_entries.Remove(uri.AbsoluteUri, out var node))
            {
                _order.Remove(node);
            }
        }
    }
}

/// <summary>A cached 200: the validator, the body and where the next page was.</summary>
internal sealed record CachedResponse(string ETag, byte[] Body, Uri? NextPage);
