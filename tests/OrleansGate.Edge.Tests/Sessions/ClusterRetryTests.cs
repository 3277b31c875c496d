using Microsoft.Extensions.Time.Testing;
using Orleans.Runtime;
using Orleans.Runtime.Messaging;
using Orleans.Storage;
using OrleansGate.Grains;

namespace OrleansGate.Edge.Tests.Sessions;

public sealed class ClusterRetryTests
{
    [Fact]
    public async Task A_call_that_failed_on_the_way_is_asked_again_and_its_answer_returned()
    {
        var calls = 0;
        var answer = await ClusterRetry.RunAsync(
            () => ++calls switch
            {
                1 => Task.FromException<int>(new SiloUnavailableException("silo stopping")),
                2 => Task.FromException<int>(new InconsistentStateException("etag mismatch")),
                _ => Task.FromResult(42),
            },
            TimeProvider.System,
            CancellationToken.None);

        Assert.Equal(42, answer);
        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task A_failure_of_the_grain_itself_is_not_retried()
    {
        var calls = 0;
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => ClusterRetry.RunAsync<int>(
            () =>
            {
                calls++;
                throw new InvalidOperationException("the grain refused");
            },
            TimeProvider.System,
            CancellationToken.None));

        Assert.Equal("the grain refused", error.Message);
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task The_last_failure_is_thrown_after_the_retries_run_out()
    {
        var calls = 0;
        var error = await Assert.ThrowsAsync<ConnectionFailedException>(() => ClusterRetry.RunAsync(
            () => Task.FromException<int>(new ConnectionFailedException($"rejected {++calls}")),
            TimeProvider.System,
            CancellationToken.None));

        Assert.Equal(ClusterRetry.Backoff.Count + 1, calls);
        Assert.Equal($"rejected {calls}", error.Message);
    }

    [Fact]
    public async Task A_schedule_given_sets_how_many_times_it_asks_again()
    {
        var calls = 0;
        await Assert.ThrowsAsync<SiloUnavailableException>(() => ClusterRetry.RunAsync(
            () => Task.FromException<int>(new SiloUnavailableException($"silo gone {++calls}")),
            TimeProvider.System,
            CancellationToken.None,
            [TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(1)]));

        Assert.Equal(5, calls);
        Assert.True(ClusterRetry.Login.Sum(w => w.TotalSeconds) is > 10 and < 30, "a login waits for a killed silo's death, inside its 30 s deadline");
    }

    [Fact]
    public async Task A_cancelled_login_stops_retrying()
    {
        using var cancel = new CancellationTokenSource();
        var calls = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ClusterRetry.RunAsync(
            () =>
            {
                calls++;
                cancel.Cancel();
                return Task.FromException<int>(new SiloUnavailableException("silo stopping"));
            },
            TimeProvider.System,
            cancel.Token));

        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task An_attempt_not_answered_within_its_timeout_is_asked_again_and_only_when_one_is_given()
    {
        // A fake clock: the attempt's timer is set before RunAsync first yields, and fires when the test moves the clock.
        var time = new FakeTimeProvider();
        var calls = 0;
        var unanswered = new TaskCompletionSource<int>(); // a call sent to a silo that was killed: never answered
        var running = ClusterRetry.RunAsync(
            () => ++calls == 1 ? unanswered.Task : Task.FromResult(42), time, CancellationToken.None, [TimeSpan.Zero], ClusterRetry.LoginAttemptTimeout);
        time.Advance(ClusterRetry.LoginAttemptTimeout - TimeSpan.FromMilliseconds(1));
        Assert.False(running.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal((42, 2), (await running.WaitAsync(TimeSpan.FromSeconds(10)), calls));

        // The last attempt's timeout is the caller's failure (the login fails closed).
        calls = 0;
        var last = ClusterRetry.RunAsync(
            () => ++calls == 1 ? unanswered.Task : Task.FromException<int>(new TimeoutException("the second attempt timed out")),
            time, CancellationToken.None, [TimeSpan.Zero], ClusterRetry.LoginAttemptTimeout);
        time.Advance(ClusterRetry.LoginAttemptTimeout);
        Assert.Equal("the second attempt timed out", (await Assert.ThrowsAsync<TimeoutException>(() => last.WaitAsync(TimeSpan.FromSeconds(10)))).Message);
        Assert.Equal(2, calls);

        // Without an attempt timeout, Orleans' own response timeout is not a failure on the way: not asked again.
        calls = 0;
        await Assert.ThrowsAsync<TimeoutException>(() => ClusterRetry.RunAsync(
            () => { calls++; return Task.FromException<int>(new TimeoutException("Response did not arrive on time")); }, time, CancellationToken.None));
        Assert.Equal(1, calls);
        Assert.True(ClusterRetry.LoginAttemptTimeout < TimeSpan.FromSeconds(15), "a login asks again well inside its 30 s deadline");
    }
}
