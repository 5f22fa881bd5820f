namespace DeployGuard.Tests.Support;

/// <summary>
/// A clock that moves only when a test moves it. Timers made through <see cref="CreateTimer"/> (which is what
/// <c>Task.Delay(TimeSpan, TimeProvider)</c> and Polly's retry delays use) fire, in due order, when
/// <see cref="Advance"/> or <see cref="SetUtcNow"/> passes their due time, on the calling thread.
/// <see cref="WaitForTimerAsync"/> lets a test wait until the code under test is parked on such a timer, so
/// "has it proceeded yet?" is answered without a real sleep.
/// (Microsoft.Extensions.TimeProvider.Testing is not available to this project.)
/// </summary>
public sealed class FakeTimeProvider : TimeProvider
{
    private readonly Lock _lock = new();
    private readonly List<FakeTimer> _timers = [];
    private readonly List<TaskCompletionSource> _timerWaiters = [];
    private DateTimeOffset _now;

    public FakeTimeProvider()
        : this(new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero))
    {
    }

    public FakeTimeProvider(DateTimeOffset start) => _now = start;

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <summary>Timers waiting to fire.</summary>
    public int ActiveTimers
    {
        get
        {
            lock (_lock)
            {
                return _timers.Count(t => t.DueAt is not null);
            }
        }
    }

    /// <summary>When the next timer fires, or null when none waits.</summary>
    public DateTimeOffset? NextDue
    {
        get
        {
            lock (_lock)
            {
                return _timers.Where(t => t.DueAt is not null).Select(t => t.DueAt).Min();
            }
        }
    }

    public override DateTimeOffset GetUtcNow()
    {
        lock (_lock)
        {
            return _now;
        }
    }

    public override long GetTimestamp() => GetUtcNow().UtcTicks;

    public void Advance(TimeSpan delta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delta, TimeSpan.Zero);
        SetUtcNow(GetUtcNow() + delta);
    }

    /// <summary>Moves the clock to <paramref name="value"/>, firing every timer due on the way at its own due time.</summary>
    public void SetUtcNow(DateTimeOffset value)
    {
        while (true)
        {
            FakeTimer? due;
            lock (_lock)
            {
                if (value < _now)
                {
                    throw new ArgumentOutOfRangeException(nameof(value), value, $"time cannot go back from {_now:O}");
                }

                due = _timers.Where(t => t.DueAt is { } at && at <= value).OrderBy(t => t.DueAt).ThenBy(t => t.Sequence).FirstOrDefault();
                if (due is null)
                {
                    _now = value;
                    return;
                }

                _now = due.DueAt!.Value > _now ? due.DueAt.Value : _now;
                due.DueAt = due.Period is { } period ? _now + period : null;
            }

            // Outside the lock: the callback may create, change or dispose timers.
            due.Callback(due.State);
        }
    }

    /// <summary>
    /// Completes once at least one timer is waiting (at once when one already is): the code under test has
    /// reached a delay. Fails after <paramref name="timeout"/> of real time, so a broken test cannot hang.
    /// </summary>
    public async Task WaitForTimerAsync(TimeSpan? timeout = null)
    {
        TaskCompletionSource waiter;
        lock (_lock)
        {
            if (_timers.Any(t => t.DueAt is not null))
            {
                return;
            }

            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _timerWaiters.Add(waiter);
        }

        await waiter.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// Drives <paramref name="task"/> to completion: whenever it waits on a timer, jumps the clock to that timer.
    /// For code whose waits are not the point of the test (jittered 5xx backoff, say).
    /// </summary>
    public async Task<T> RunAsync<T>(Task<T> task, TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        while (!task.IsCompleted)
        {
            var timer = WaitForTimerAsync(Timeout.InfiniteTimeSpan);
            var finished = await Task.WhenAny(task, timer, Task.Delay(Timeout.Infinite, deadline.Token));
            if (finished == task)
            {
                break;
            }

            if (finished != timer)
            {
                throw new TimeoutException("the task neither finished nor waited on the fake clock in time");
            }

            if (NextDue is { } next)
            {
                SetUtcNow(next > GetUtcNow() ? next : GetUtcNow());
            }
        }

        return await task;
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new FakeTimer(this, callback, state);
        lock (_lock)
        {
            timer.Sequence = _timers.Count == 0 ? 0 : _timers.Max(t => t.Sequence) + 1;
            _timers.Add(timer);
        }

        timer.Change(dueTime, period);
        return timer;
    }

    private void Schedule(FakeTimer timer, TimeSpan dueTime, TimeSpan period)
    {
        List<TaskCompletionSource> woken = [];
        lock (_lock)
        {
            if (!_timers.Contains(timer))
            {
                return;
            }

            timer.Period = period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero ? null : period;
            timer.DueAt = dueTime == Timeout.InfiniteTimeSpan ? null : _now + dueTime;
            if (timer.DueAt is not null)
            {
                woken.AddRange(_timerWaiters);
                _timerWaiters.Clear();
            }
        }

        foreach (var waiter in woken)
        {
            waiter.TrySetResult();
        }
    }

    private void Remove(FakeTimer timer)
    {
        lock (_lock)
        {
            _timers.Remove(timer);
        }
    }

    private sealed class FakeTimer(FakeTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public TimerCallback Callback { get; } = callback;

        public object? State { get; } = state;

        public DateTimeOffset? DueAt { get; set; }

        public TimeSpan? Period { get; set; }

        public long Sequence { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            owner.Schedule(this, dueTime, period);
            return true;
        }

        public void Dispose() => owner.Remove(this);

        public ValueTask DisposeAsync()
        {
            owner.Remove(this);
            return default;
        }
    }
}
