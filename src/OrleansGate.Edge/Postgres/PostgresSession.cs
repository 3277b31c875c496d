using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;
using OrleansGate.Edge.Identity;
using OrleansGate.Edge.Sessions;
using OrleansGate.Edge.Targets;
using OrleansGate.Edge.Telemetry;
using OrleansGate.Grains;
using OrleansGate.Model;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.Edge.Postgres;

/// <summary>
/// One client connection, from TCP accept to close.
/// </summary>
/// <remarks>
/// <code>
///  client ──Startup──► [1] negotiate (SSLRequest → 'S' + TLS, GSSENCRequest → 'N', CancelRequest → forward)
///         ◄─AuthCleartext─ [2] password = the agent's JWT → validate (fail: FATAL 28P01, no upstream dialled)
///                       [3] IAgentGrain.RegisterSession; EdgeSession.OpenAsync (login audited)
///                       [4] dial target with the gateway's credentials ──► upstream
///         ◄─AuthOk, ParameterStatus…, BackendKeyData (gateway's own key), ReadyForQuery
///  Query/Parse ─► [5] EdgeSession.AuthorizeAsync ─allow─► forwarded unchanged ──► upstream
///                    (decided on this edge, recorded on this node's audit store)
///                                           └deny──► replaced by a statement the upstream rejects;
///                                                    its error is rewritten to 42501 on the way back
///  ◄──────────── [6] upstream messages relayed unchanged ◄────────────────────── upstream
/// </code>
/// Denials travel through the upstream on purpose: its answers then stay in order with pipelined
/// messages, and a denied statement fails the transaction exactly as a failed statement would.
/// </remarks>
public sealed partial class PostgresSession
{
    private const string NodeShuttingDown = "the gateway node is shutting down";

    private readonly ConnectionContext _connection;
    private readonly PostgresEdgeServices _services;
    private readonly ILogger _logger;
    // Replaced by pipes over the TLS stream once the handshake completes.
    private PipeReader _clientInput;
    private PipeWriter _clientOutput;

    private SessionInfo? _session;

    // Decides and records this session's statements (protocol-neutral: Sessions/EdgeSession.cs).
    private EdgeSession? _edge;
    private UpstreamConnection? _upstream;
    private int _gatewayProcessId;

    /// <summary>Cancelled when the cluster ends this session (revocation) or its token expires.</summary>
    private readonly CancellationTokenSource _terminate = new();
    private string? _terminationReason;
    private ITimer? _expiryTimer;

    public PostgresSession(ConnectionContext connection, PostgresEdgeServices services, ILogger logger)
    {
        _connection = connection;
        _services = services;
        _logger = logger;
        _clientInput = connection.Transport.Input;
        _clientOutput = connection.Transport.Output;
    }

    private string ClientAddress => _connection.RemoteEndPoint?.ToString() ?? "unknown";

    public async Task RunAsync()
    {
        var aborted = _connection.ConnectionClosed;
        string closeReason = "client closed the connection";

        // When the node stops (host stop, SIGTERM), the drain ends the session first: at its next transaction boundary,
        // or at the drain deadline (PostgresSession.Drain.cs). Then Kestrel asks each connection still open (one the drain
        // gave up waiting for) to close, before it stops the silo or cluster client: the session ends as a
        // revoked one does (its running statement cancelled, FATAL 57P01 to the client) while the cluster can still
        // record its logout.
        JoinDrain();
        using var closing = _connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested
            .Register(static s => ((PostgresSession)s!).Terminate(NodeShuttingDown), this);
        try
        {
            if (!_services.PendingLogins.TryEnter())
            {
                closeReason = "too many connections awaiting authentication";
                if (_services.PendingLoginsLog.ShouldLog(out var heldBack))
                {
                    LogTooManyPendingLogins(_logger, ClientAddress, _services.Options.MaxConnectionsAwaitingAuthentication, heldBack);
                }

                await SendFatalAsync(PgSqlState.TooManyConnections, "sorry, too many connections awaiting authentication").ConfigureAwait(false);
                return;
            }

            bool loggedIn;
            using (var span = EdgeTelemetry.StartLogin(_connection.RemoteEndPoint))
            {
                try
                {
                    loggedIn = await LoginAsync(aborted).ConfigureAwait(false);
                }
                finally
                {
                    _services.PendingLogins.Exit();
                }

                EdgeTelemetry.TagLogin(span, loggedIn, _session?.SessionId, _session?.Agent.GrainKey, _session?.Target);
            }

            if (!loggedIn)
            {
                closeReason = _loginRefusal ?? closeReason; // audited in the Logout record when a session was opened
                return;
            }

            _services.Telemetry.ActiveSessions.Add(1, EdgeTelemetry.Postgres);
            try
            {
                closeReason = await RelayAsync(aborted).ConfigureAwait(false);
            }
            finally
            {
                _services.Telemetry.ActiveSessions.Add(-1, EdgeTelemetry.Postgres);
            }
        }
        catch (PgProtocolException e)
        {
            closeReason = $"protocol violation: {e.Message}";
            LogProtocolViolation(_logger, ClientAddress, e.SqlState, e.Message);
            await SendFatalAsync(e.SqlState, e.Message).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            closeReason = "connection aborted";
        }
        catch (IOException e)
        {
            // Includes ConnectionResetException.
            closeReason = $"connection error: {e.Message}";
        }
        finally
        {
            await CloseAsync(closeReason).ConfigureAwait(false);
            LeaveDrain();
        }
    }

    private async Task SendFatalAsync(string sqlState, string message)
    {
        try
        {
            BackendWriter.ErrorResponse(_clientOutput, "FATAL", sqlState, message);
            await _clientOutput.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The client is gone; there is no one left to tell.
        }
    }

    /// <summary>Ends the session from outside the relay; it stops both directions and then sends FATAL 57P01.</summary>
    private void Terminate(string reason)
    {
        Interlocked.CompareExchange(ref _terminationReason, reason, null);
        try
        {
            _terminate.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already closed.
        }
    }

    private async Task CloseAsync(string reason)
    {
        if (_expiryTimer is not null)
        {
            await _expiryTimer.DisposeAsync().ConfigureAwait(false);
        }

        if (_session is not null)
        {
            _services.Sessions.Remove(_session.SessionId);
        }

        if (_gatewayProcessId != 0)
        {
            _services.Cancels.Remove(_gatewayProcessId);
        }

        if (_upstream is not null)
        {
            await CancelRunningStatementAsync(reason).ConfigureAwait(false); // bounded, never throws (PostgresSession.Cancel.cs)
            await _upstream.DisposeAsync().ConfigureAwait(false);
        }

        if (_edge is not null)
        {
            InFlight.InterruptAll();
            await _edge.CloseAsync(reason).ConfigureAwait(false);
        }

        if (_session is not null)
        {
            try
            {
                await _services.Grains.GetGrain<IAgentGrain>(_session.Agent.GrainKey).UnregisterSession(_session.SessionId).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogCloseFailed(_logger, _session.SessionId, e.Message);
            }
        }

        _terminate.Dispose();
    }

    private static void Forward(IBufferWriter<byte> destination, in ReadOnlySequence<byte> raw)
    {
        foreach (var segment in raw)
        {
            destination.Write(segment.Span);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Protocol violation from {Client}: {SqlState} {Error}")]
    private static partial void LogProtocolViolation(ILogger logger, string client, string sqlState, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection from {Client} refused with 53300: {Limit} connections are already awaiting authentication ({HeldBack} more such refusals since the last line)")]
    private static partial void LogTooManyPendingLogins(ILogger logger, string client, int limit, long heldBack);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId}: closing its grains failed: {Error}")]
    private static partial void LogCloseFailed(ILogger logger, string sessionId, string error);
}
