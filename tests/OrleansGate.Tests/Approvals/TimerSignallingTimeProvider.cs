using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace OrleansGate.Tests.Approvals;

/// <summary>A fake clock that tells the test each time a timer is started and for how long, so it advances exactly then.</summary>
internal sealed class TimerSignallingTimeProvider : FakeTimeProvider
{
    private readonly Channel<TimeSpan> _timers = Channel.CreateUnbounded<TimeSpan>();

    public TimerSignallingTimeProvider()
        : base(ApprovalSamples.RequestedAt.AddMinutes(3))
    {
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        _timers.Writer.TryWrite(dueTime);
        return timer;
    }

    /// <summary>The due time of the next timer started (waits for it, failing after a generous timeout).</summary>
    public async Task<TimeSpan> NextTimerAsync() => await _timers.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
}
