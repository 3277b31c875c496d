using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace OrleansGate.Edge.Postgres;

/// <summary>
/// Cancels: a client's CancelRequest, routed by <see cref="CancelRouter"/> to the edge that issued the key wherever it
/// landed; and the cancel a session sends for its own running statement when it ends.
/// </summary>
public sealed partial class PostgresSession
{
    /// <summary>
    /// How long an ending session may take to send the target the cancel of its running statement (connect and write); a
    /// target that has not accepted it by then is treated as unreachable, so it cannot hold up the close (nor a node's
    /// shutdown) for longer.
    /// </summary>
    private static readonly TimeSpan EndCancelTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The upstream backend's own cancel key (set once the client is greeted), for <see cref="CancelRunningStatementAsync"/>.</summary>
    private CancelTarget? _upstreamCancelKey;

    /// <summary>The target closed the upstream connection: its backend is gone, and with it anything it was running.</summary>
    private volatile bool _targetClosed;

    private Task ForwardCancelAsync(int processId, int secretKey) => _services.Cancels.CancelAsync(processId, secretKey, ClientAddress);

    /// <summary>
    /// Called before the upstream connection is closed: a statement the target is still running is cancelled first.
    /// Closing the socket alone does not stop it; PostgreSQL notices a vanished client only when it next writes to it,
    /// so a <c>pg_sleep(20)</c> or a long scan would run on after a revocation, an expired token, a node's shutdown or
    /// a client that vanished mid-statement. Never throws; bounded by <see cref="EndCancelTimeout"/>.
    /// </summary>
    /// <remarks>
    /// Sent only while a statement, Sync or Execute the client forwarded still awaits the target's answer (the relay's
    /// in-flight queue), so idle sessions, the common way to end, cost the target no extra connection. The queue is read
    /// after both relay directions stopped, so an answer that arrived unread can leave it non-empty for an idle backend:
    /// that cancel is harmless, because PostgreSQL ignores a cancel while it waits for the next command. Not sent after
    /// the client's own Terminate (forwarded to the target, which finishes the statement and then exits, as it would
    /// without the gateway) nor when the target itself closed the connection.
    /// </remarks>
    private async Task CancelRunningStatementAsync(string closeReason)
    {
        if (_upstreamCancelKey is not { } key || InFlight.IsEmpty || _targetClosed || closeReason == ClientSentTerminate)
        {
            return;
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            await UpstreamCancel.SendAsync(key, EndCancelTimeout, _services.Time).ConfigureAwait(false);
            _services.Telemetry.EndCancels.Add(1, new KeyValuePair<string, object?>("outcome", "sent"));
            LogRunningStatementCancelled(_logger, _session!.SessionId, closeReason, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
        {
            _services.Telemetry.EndCancels.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));
            LogRunningStatementNotCancelled(_logger, _session!.SessionId, closeReason, e is OperationCanceledException ? $"no answer within {EndCancelTimeout.TotalSeconds:0} s" : e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId} ended ({Reason}) while the target ran one of its statements: cancel sent to the target in {ElapsedMs:0.0} ms")]
    private static partial void LogRunningStatementCancelled(ILogger logger, string sessionId, string reason, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId} ended ({Reason}) while the target ran one of its statements, and the cancel could not be sent ({Error}): the statement runs on until it next writes to the closed connection")]
    private static partial void LogRunningStatementNotCancelled(ILogger logger, string sessionId, string reason, string error);
}
