namespace DeployGuard.Demo;

/// <summary>
/// The sandbox's clock: real time, shifted to a fixed, ordinary morning (a Tuesday, outside every
/// freeze window) so the story is the same whatever day the demo runs, and movable forward to skip
/// a soak period. It keeps ticking, so timeouts and retry delays behave as in production.
/// </summary>
internal sealed class DemoClock : TimeProvider
{
    private readonly Lock _lock = new();
    private TimeSpan _offset;

    public DemoClock(DateTimeOffset start) => _offset = start - System.GetUtcNow();

    public override DateTimeOffset GetUtcNow()
    {
        lock (_lock)
        {
            return System.GetUtcNow() + _offset;
        }
    }

    public void Advance(TimeSpan by)
    {
        lock (_lock)
        {
            _offset += by;
        }
    }
}
