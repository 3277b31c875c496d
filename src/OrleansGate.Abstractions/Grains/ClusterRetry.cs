using Orleans.Runtime;
using Orleans.Runtime.Messaging;
using Orleans.Storage;

namespace OrleansGate.Grains;

/// <summary>
/// Retries a grain call that failed on the way, not in the grain's decision: the silo hosting the activation was
/// stopping or died (the next call activates the grain elsewhere), a connection to a gateway closed, or the grain's state
/// write lost a race with a newer activation (Orleans deactivates it). Only for calls that are safe to repeat, such as
/// <c>RegisterSession</c>, which admits the same session again without counting it twice. Anything else, and the last
/// failure, is thrown to the caller, who fails closed.
/// </summary>
public static class ClusterRetry
{
    /// <summary>Waits before each retry: a stopping silo's grains move to another within these.</summary>
    public static readonly IReadOnlyList<TimeSpan> Backoff = [TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(400), TimeSpan.FromMilliseconds(1000)];

    /// <summary>
    /// A login's waits, 23.5 s in all (inside the 30 s authentication deadline): after a <c>kill -9</c> the agent grain's
    /// directory entry points at the dead silo until the cluster declares it dead (6 to 22 s measured), and a login that
    /// waits that long is let in rather than refused with 57P03 on a node that was not affected.
    /// </summary>
    public static readonly IReadOnlyList<TimeSpan> Login =
        [TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(8)];

    /// <summary>
    /// How long a login waits for one answer before it asks again: a call sent to a silo just before it was killed (or
    /// while it is stopped) is otherwise answered only by Orleans' response timeout of 30 s, the whole authentication
    /// deadline. Safe because <c>RegisterSession</c> admits the same session again without counting it twice.
    /// </summary>
    public static readonly TimeSpan LoginAttemptTimeout = TimeSpan.FromSeconds(8);

    /// <summary>
    /// Runs <paramref name="call"/>, asking again after each wait of <paramref name="waits"/> when it failed on the way;
    /// with <paramref name="attemptTimeout"/>, an attempt not answered within it counts as failed on the way too.
    /// </summary>
    public static async Task<T> RunAsync<T>(
        Func<Task<T>> call, TimeProvider time, CancellationToken ct, IReadOnlyList<TimeSpan>? waits = null, TimeSpan? attemptTimeout = null)
    {
        waits ??= Backoff;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return attemptTimeout is { } timeout
                    ? await call().WaitAsync(timeout, time, ct).ConfigureAwait(false)
                    : await call().WaitAsync(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (attempt < waits.Count && (IsTransient(e) || (attemptTimeout is not null && e is TimeoutException)))
            {
                await Task.Delay(waits[attempt], time, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>A failure of the way to the grain, after which the same call may succeed on another activation.</summary>
    public static bool IsTransient(Exception e) => e switch
    {
        SiloUnavailableException or OrleansMessageRejectionException or ConnectionFailedException or GatewayTooBusyException => true,
        InconsistentStateException => true,
        AggregateException { InnerExceptions.Count: 1 } aggregate => IsTransient(aggregate.InnerExceptions[0]),
        _ => false,
    };
}
