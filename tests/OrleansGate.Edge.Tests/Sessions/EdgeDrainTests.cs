using OrleansGate.Edge.Sessions;

namespace OrleansGate.Edge.Tests.Sessions;

public sealed class EdgeDrainTests
{
    private readonly EdgeDrain _drain = new();

    [Fact]
    public void Drain_of_an_edge_without_connections_is_empty_at_once()
    {
        Assert.Equal(0, _drain.Begin());

        Assert.True(_drain.IsDraining);
        Assert.True(_drain.Empty.IsCompletedSuccessfully);
    }

    [Fact]
    public void Drain_is_empty_only_once_the_last_connection_has_left_and_counts_how_each_ended()
    {
        for (var i = 0; i < 4; i++)
        {
            _drain.Enter();
        }

        _drain.Exit(DrainEnd.NotByDrain); // before the drain: not counted as ended by it
        Assert.False(_drain.Empty.IsCompleted); // not draining yet, though connections come and go

        Assert.Equal(3, _drain.Begin());
        _drain.Exit(DrainEnd.AtBoundary);
        _drain.Exit(DrainEnd.NotByDrain);
        Assert.False(_drain.Empty.IsCompleted);
        Assert.Equal(1, _drain.EndRemaining());
        Assert.True(_drain.Deadline.IsCancellationRequested);
        _drain.Exit(DrainEnd.AtDeadline);

        Assert.True(_drain.Empty.IsCompletedSuccessfully);
        Assert.Equal((1, 1, 1), _drain.Ended);
    }

    [Fact]
    public void Sessions_hear_the_drain_begin_once_even_when_it_is_begun_twice()
    {
        _drain.Enter();
        var heard = 0;
        using var registration = _drain.Draining.Register(() => heard++);

        _drain.Begin();
        _drain.Begin(); // SIGTERM's ApplicationStopping, then the host's StoppingAsync

        Assert.Equal(1, heard);
        Assert.False(_drain.Deadline.IsCancellationRequested);
    }
}
