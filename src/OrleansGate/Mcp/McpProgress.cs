using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace OrleansGate.Host.Mcp;

/// <summary>
/// Progress notifications of one tool call, when the client asked for them (a progress token): a tool that waits (an
/// approval, a long command) says what it waits for, then that it still waits, so the client neither times out nor guesses.
/// </summary>
public sealed class McpProgress(McpServer server, ProgressToken? token, TimeProvider time, TimeSpan interval)
{
    // Notifications go out in the order they were made: a heartbeat never overtakes the notice it repeats.
    private readonly SemaphoreSlim _sending = new(1, 1);
    private long _step;

    /// <summary>Whether the client asked for progress of this call.</summary>
    public bool Enabled => token is not null;

    /// <summary>Sends <paramref name="message"/> now; a client that went away is not an error of the tool.</summary>
    public async Task ReportAsync(string message, CancellationToken cancellationToken)
    {
        if (token is not { } progressToken)
        {
            return;
        }

        await _sending.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var step = Interlocked.Increment(ref _step);
            await server.NotifyProgressAsync(progressToken, new ProgressNotificationValue { Progress = step, Message = message }, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException and not OperationCanceledException)
        {
            // The response stream is gone: the call itself ends by its cancellation.
        }
        finally
        {
            _sending.Release();
        }
    }

    /// <summary>Every interval until disposed: <paramref name="message"/>'s text (it may change, e.g. the notice last seen).</summary>
    public Heartbeat Every(Func<TimeSpan, string> message, CancellationToken cancellationToken) => new(this, message, time, interval, cancellationToken);

    /// <summary>A running heartbeat; disposing stops it and waits for a notification in flight.</summary>
    public sealed class Heartbeat : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop;
        private readonly Task _loop;

        internal Heartbeat(McpProgress progress, Func<TimeSpan, string> message, TimeProvider time, TimeSpan interval, CancellationToken cancellationToken)
        {
            _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            _loop = RunAsync(progress, message, time, interval, _stop.Token);
        }

        private static async Task RunAsync(McpProgress progress, Func<TimeSpan, string> message, TimeProvider time, TimeSpan interval, CancellationToken ct)
        {
            if (!progress.Enabled)
            {
                return;
            }

            var started = time.GetTimestamp();
            using var timer = new PeriodicTimer(interval, time);
            try
            {
                while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
                {
                    await progress.ReportAsync(message(time.GetElapsedTime(started)), ct).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                // stopped
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            await _loop.ConfigureAwait(false);
            _stop.Dispose();
        }
    }
}
