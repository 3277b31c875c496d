using System.Buffers;
using System.IO.Pipelines;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using OrleansGate.Edge.Identity;
using OrleansGate.Edge.Sessions;
using OrleansGate.Edge.Targets;
using OrleansGate.Grains;
using OrleansGate.Model;
using OrleansGate.Policy.Classification;
using OrleansGate.Policy.Model;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.Edge.Postgres;

public sealed partial class PostgresSession
{
    /// <summary>
    /// Startup parameters passed on to the target. Everything else is refused: <c>options</c> could carry
    /// <c>-c role=…</c> past the statement policy, and parameters such as <c>standard_conforming_strings</c>
    /// would make the target parse SQL differently from the gateway's classifier. <c>client_encoding</c> is
    /// accepted only as UTF8 and never forwarded: the upstream login pins it (<see cref="LexicalSettings"/>).
    /// </summary>
    private static readonly HashSet<string> ForwardedParameters = new(StringComparer.OrdinalIgnoreCase)
    {
        "application_name", "DateStyle", "TimeZone", "IntervalStyle", "extra_float_digits",
    };

    /// <summary>Parameters that are ours to interpret, never forwarded.</summary>
    private static readonly HashSet<string> GatewayParameters = new(StringComparer.Ordinal) { "user", "database", LexicalSettings.ClientEncoding };

    /// <summary>Runs steps 1–4 of the flow; false when the connection ended without a session.</summary>
    private async Task<bool> LoginAsync(CancellationToken aborted)
    {
        using var deadline = new CancellationTokenSource(_services.Options.AuthenticationTimeout, _services.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(aborted, deadline.Token);
        var ct = linked.Token;
        try
        {
            var startup = await ReadStartupAsync(ct).ConfigureAwait(false);
            if (startup is null)
            {
                return false;
            }

            // Answered after the startup packet, as PostgreSQL answers during its own shutdown: a client that has sent it
            // reads the error instead of a reset connection, and retries elsewhere (PostgresSession.Drain.cs).
            if (_services.Drain.IsDraining)
            {
                _services.Telemetry.Logins.Add(1, new KeyValuePair<string, object?>("outcome", "draining"));
                _loginRefusal = $"login refused: {PgSqlState.CannotConnectNow} {NodeDraining}";
                await SendFatalAsync(PgSqlState.CannotConnectNow, NodeDraining).ConfigureAwait(false);
                return false;
            }

            var user = startup.Parameters["user"];
            CheckParameters(startup.Parameters);

            BackendWriter.AuthenticationCleartextPassword(_clientOutput);
            await _clientOutput.FlushAsync(ct).ConfigureAwait(false);
            var password = await ReadPasswordAsync(ct).ConfigureAwait(false);
            if (password is not { } read)
            {
                return false;
            }

            var validation = read.Token is { } token ? await ValidateTokenAsync(token, ct).ConfigureAwait(false) : TokenTooLarge;
            if (validation is not TokenValidationResult.Valid valid)
            {
                var reason = ((TokenValidationResult.Invalid)validation).Reason;
                _services.Telemetry.Logins.Add(1, new KeyValuePair<string, object?>("outcome", "token_rejected"));
                LogTokenRejected(_logger, ClientAddress, reason);
                await SendFatalAsync("28P01", $"token rejected for user \"{user}\": {reason}").ConfigureAwait(false);

                await AuditLoginRefusalAsync(user, "28P01", reason).ConfigureAwait(false); // PostgresSession.LoginAudit.cs
                return false;
            }

            // Checked only after authentication, so an unauthenticated caller cannot probe which targets exist.
            var targetName = startup.Parameters.GetValueOrDefault("database", "");
            if (!_services.Targets.TryGet(targetName, out var target))
            {
                _services.Telemetry.Logins.Add(1, new KeyValuePair<string, object?>("outcome", "unknown_target"));
                await SendFatalAsync("3D000", $"target \"{targetName}\" is not configured on this gateway").ConfigureAwait(false);

                await AuditLoginRefusalAsync(user, "3D000", $"target \"{targetName}\" is not configured on this gateway", (valid.Agent, valid.TokenId, targetName)).ConfigureAwait(false);
                return false;
            }

            if (!await OpenSessionAsync(valid, target, ct).ConfigureAwait(false))
            {
                return false;
            }

            StartMasking(target); // PostgresSession.Masking.cs

            if (!await DialUpstreamAsync(target, startup.Parameters, ct).ConfigureAwait(false))
            {
                return false;
            }

            _services.Telemetry.Logins.Add(1, new KeyValuePair<string, object?>("outcome", "ok"));
            await GreetClientAsync(target, ct).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !aborted.IsCancellationRequested)
        {
            await SendFatalAsync("08P01", "canceling authentication due to timeout").ConfigureAwait(false);
            return false;
        }
    }

    /// <summary>
    /// The validator answers every token with a result; should it throw instead, the token is refused (fail closed)
    /// and the session ends with 28P01 rather than as an unhandled exception. Only the exception type is logged:
    /// its message could quote the token.
    /// </summary>
    private async ValueTask<TokenValidationResult> ValidateTokenAsync(string token, CancellationToken ct)
    {
        try
        {
            return await _services.Tokens.ValidateAsync(token, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            LogTokenValidatorFailed(_logger, ClientAddress, e.GetType().Name);
            return new TokenValidationResult.Invalid("token malformed");
        }
    }

    private static void CheckParameters(IReadOnlyDictionary<string, string> parameters)
    {
        foreach (var name in parameters.Keys)
        {
            if (!GatewayParameters.Contains(name) && !ForwardedParameters.Contains(name))
            {
                throw new PgProtocolException("0A000", $"startup parameter \"{name}\" is not supported through the gateway; use SET, which the policy sees");
            }
        }

        // Checked before any upstream dial: the classifier reads statement text as UTF-8, and under another client
        // encoding the target would read the same bytes differently (a backslash absorbed into a character).
        if (parameters.TryGetValue(LexicalSettings.ClientEncoding, out var encoding) && !LexicalSettings.IsUtf8(encoding))
        {
            throw new PgProtocolException("0A000", $"client_encoding \"{encoding}\" is not supported through the gateway: connect with client_encoding UTF8, the only encoding its statement parser reads");
        }
    }

    /// <summary>Reads startup packets until a StartupMessage; answers SSL/GSSAPI negotiation and handles CancelRequest.</summary>
    private async Task<StartupPacket?> ReadStartupAsync(CancellationToken ct)
    {
        if (_services.Certificate is not null && await StartsWithTlsHandshakeAsync(ct).ConfigureAwait(false)
            && !await StartTlsAsync(direct: true, ct).ConfigureAwait(false))
        {
            return null;
        }

        // As in PostgreSQL, each negotiation request is answered once; a client repeating one is not a real client.
        var sslAnswered = false;
        var gssAnswered = false;
        while (true)
        {
            var packet = await ReadStartupPacketAsync(ct).ConfigureAwait(false);
            switch (packet?.Kind)
            {
                case null:
                    return null;
                case StartupPacketKind.SslRequest when Encrypted:
                    throw new PgProtocolException(PgSqlState.ProtocolViolation, "SSL request received on an encrypted connection");
                case StartupPacketKind.GssEncRequest when Encrypted:
                    throw new PgProtocolException(PgSqlState.ProtocolViolation, "GSSAPI encryption request received on an encrypted connection");
                case StartupPacketKind.SslRequest when sslAnswered:
                    throw new PgProtocolException(PgSqlState.ProtocolViolation, "SSL request received twice");
                case StartupPacketKind.GssEncRequest when gssAnswered:
                    throw new PgProtocolException(PgSqlState.ProtocolViolation, "GSSAPI encryption request received twice");
                case StartupPacketKind.SslRequest when _services.Certificate is not null:
                    RejectBufferedPlainText();
                    BackendWriter.SingleByte(_clientOutput, (byte)'S');
                    await _clientOutput.FlushAsync(ct).ConfigureAwait(false);
                    if (!await ExpectClientHelloAsync(ct).ConfigureAwait(false) || !await StartTlsAsync(direct: false, ct).ConfigureAwait(false))
                    {
                        return null;
                    }

                    continue;
                case StartupPacketKind.SslRequest:
                case StartupPacketKind.GssEncRequest:
                    sslAnswered |= packet.Kind == StartupPacketKind.SslRequest;
                    gssAnswered |= packet.Kind == StartupPacketKind.GssEncRequest;
                    // 'N': no TLS configured (the listener is then insecure), and GSSAPI encryption is never offered.
                    RejectBufferedPlainText();
                    BackendWriter.SingleByte(_clientOutput, (byte)'N');
                    await _clientOutput.FlushAsync(ct).ConfigureAwait(false);
                    continue;
                case StartupPacketKind.CancelRequest:
                    // Allowed in plain text, as PostgreSQL does: libpq sends cancels unencrypted.
                    await ForwardCancelAsync(packet.CancelProcessId, packet.CancelSecretKey).ConfigureAwait(false);
                    return null;
                case StartupPacketKind.StartupMessage when !Encrypted && !_services.Options.Insecure:
                    _services.Telemetry.Logins.Add(1, new KeyValuePair<string, object?>("outcome", "plaintext_refused"));
                    await SendFatalAsync(
                        PgSqlState.InvalidAuthorizationSpecification,
                        "plain-text connections are refused by this gateway: connect with TLS (sslmode=require or verify-full)").ConfigureAwait(false);
                    return null;
                default:
                    return packet;
            }
        }
    }

    private async Task<StartupPacket?> ReadStartupPacketAsync(CancellationToken ct)
    {
        while (true)
        {
            var result = await _clientInput.ReadAsync(ct).ConfigureAwait(false);
            var found = StartupReader.TryRead(result.Buffer, out var packet, out var consumed, out var examined);
            var partial = !found && !result.Buffer.IsEmpty;
            _clientInput.AdvanceTo(consumed, examined);
            if (found)
            {
                return packet;
            }

            if (result.IsCompleted)
            {
                return partial ? throw new PgProtocolException(PgSqlState.ProtocolViolation, "incomplete startup packet") : null;
            }
        }
    }

    /// <summary>The longest password message a token may arrive in: length field, the token, its terminating zero byte.</summary>
    private const int MaxPasswordMessageLength = sizeof(int) + UnverifiedJws.MaxTokenLength + 1;

    /// <summary>The refusal of a password message too long to hold an acceptable token; its body is never decoded.</summary>
    private static readonly TokenValidationResult TokenTooLarge = new TokenValidationResult.Invalid("token too large");

    /// <summary>
    /// Reads the PasswordMessage; null when the client hung up (as psql does to ask the user for a password). A
    /// message whose length field announces a token over <see cref="UnverifiedJws.MaxTokenLength"/> (but within
    /// the pre-authentication cap) is refused on that field alone: its body is skipped unread (so the client, still
    /// writing it, then reads the refusal) and never decoded.
    /// </summary>
    private async Task<PasswordMessage?> ReadPasswordAsync(CancellationToken ct)
    {
        while (true)
        {
            var result = await _clientInput.ReadAsync(ct).ConfigureAwait(false);
            var buffer = result.Buffer;

            // Checked on the first byte: a second StartupMessage would otherwise be framed with a length made of
            // its own bytes, and the connection would wait for a body that never comes.
            var header = new SequenceReader<byte>(buffer);
            if (header.TryRead(out var code) && code != (byte)FrontendMessageCode.PasswordMessage)
            {
                _clientInput.AdvanceTo(buffer.Start);
                throw new PgProtocolException("08P01", $"expected a password message, received message type 0x{code:X2}");
            }

            // Beyond the pre-authentication cap the framer's 08P01 applies: such a length is no password at all.
            if (header.TryReadBigEndian(out int length) && length > MaxPasswordMessageLength
                && length <= _services.Options.MaxMessageLengthBeforeAuthentication)
            {
                _clientInput.AdvanceTo(buffer.Start);
                await SkipAsync(1L + length, ct).ConfigureAwait(false);
                return new PasswordMessage(Token: null);
            }

            if (MessageFramer.TryRead(buffer, _services.Options.MaxMessageLengthBeforeAuthentication, out var message, out var consumed, out var examined))
            {
                try
                {
                    if (message.Code != (byte)FrontendMessageCode.PasswordMessage)
                    {
                        throw new PgProtocolException("08P01", $"expected a password message, received message type 0x{message.Code:X2}");
                    }

                    return new PasswordMessage(FrontendMessages.ReadPassword(message.Payload));
                }
                finally
                {
                    _clientInput.AdvanceTo(consumed, examined);
                }
            }

            var partial = !buffer.IsEmpty;
            _clientInput.AdvanceTo(consumed, examined);
            if (result.IsCompleted)
            {
                // Hanging up before the password is what psql does to prompt for one; hanging up mid-message is not.
                return partial ? throw new PgProtocolException(PgSqlState.ProtocolViolation, "incomplete message from the client: the connection was closed mid-message") : null;
            }
        }
    }

    /// <summary>Discards the next <paramref name="count"/> bytes from the client (fewer if it hangs up first).</summary>
    private async Task SkipAsync(long count, CancellationToken ct)
    {
        while (count > 0)
        {
            var result = await _clientInput.ReadAsync(ct).ConfigureAwait(false);
            var skipped = Math.Min(count, result.Buffer.Length);
            _clientInput.AdvanceTo(result.Buffer.GetPosition(skipped));
            count -= skipped;
            if (result.IsCompleted)
            {
                return;
            }
        }
    }

    private async Task<bool> OpenSessionAsync(TokenValidationResult.Valid valid, ResolvedTarget target, CancellationToken ct)
    {
        var session = new SessionInfo(
            SessionId: Guid.NewGuid().ToString("N"),
            Agent: valid.Agent,
            TokenId: valid.TokenId,
            TokenExpires: valid.Expires,
            Target: target.Name,
            Protocol: "postgres",
            EdgeNode: _services.Node.Name,
            ClientAddress: ClientAddress,
            OpenedAt: _services.Time.GetUtcNow());
        try
        {
            // Registered here first, so a revocation racing this login still finds the session.
            _services.Sessions.Add(session.SessionId, Terminate);
            // The agent's session limit under this edge's policy; the agent grain counts the sessions cluster-wide.
            var limit = _services.EdgeSessions.Decider.LimitsFor(PolicyIdentity.From(valid.Agent), out _).Sessions;
            var agent = _services.Grains.GetGrain<IAgentGrain>(valid.Agent.GrainKey);
            var registration = await ClusterRetry.RunAsync(
                () => agent.RegisterSession(session, _services.Sessions.Terminator, valid.Reuse, limit), _services.Time, ct, ClusterRetry.Login, ClusterRetry.LoginAttemptTimeout).ConfigureAwait(false);
            if (!registration.Admitted)
            {
                _services.Sessions.Remove(session.SessionId);
                _services.Telemetry.Logins.Add(1, new KeyValuePair<string, object?>("outcome", "refused"));
                if (registration.RefusalSqlState == PgSqlState.TooManyConnections)
                {
                    _services.Telemetry.RateLimitRefusals.Add(1, new KeyValuePair<string, object?>("kind", "sessions"));
                }

                await SendFatalAsync(registration.RefusalSqlState, $"session refused: {registration.RefusalReason}").ConfigureAwait(false);
                return false;
            }

            _session = session;
            var untilExpiry = valid.Expires + _services.Options.TokenExpiryGrace - _services.Time.GetUtcNow();
            _expiryTimer = _services.Time.CreateTimer(
                static s => ((PostgresSession)s!).Terminate("the session's token expired; reconnect with a new token"),
                this,
                untilExpiry > TimeSpan.Zero ? untilExpiry : TimeSpan.Zero,
                Timeout.InfiniteTimeSpan);
            var edge = new EdgeSession(session, _services.EdgeSessions);
            await edge.OpenAsync().WaitAsync(ct).ConfigureAwait(false);
            _edge = edge; // only a session whose Login record is durable gets a Logout record
            LogSessionOpened(_logger, session.SessionId, valid.Agent.Subject, target.Name, ClientAddress);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            // Fail closed: without the agent and session grains there is no decision and no audit.
            if (_services.ClusterUnavailableLog.ShouldLog(out var heldBack))
            {
                LogClusterUnavailable(_logger, e.Message, heldBack);
            }

            _services.Telemetry.Logins.Add(1, new KeyValuePair<string, object?>("outcome", "cluster_unavailable"));
            await SendFatalAsync("57P03", "the gateway cannot decide right now (cluster or audit store unavailable); try again later").ConfigureAwait(false);
            if (_session is null)
            {
                // An attempt that timed out or broke on the way may have been admitted all the same (after the refusal
                // went out: the client does not wait for this).
                await UnregisterAbandonedAsync(valid.Agent.GrainKey, session.SessionId).ConfigureAwait(false);
            }

            return false;
        }
        catch (OperationCanceledException) when (_session is null)
        {
            // The client left (or the login timed out) while the agent grain was registering the session; the
            // grain may have admitted it, and CloseAsync only unregisters admitted sessions.
            await UnregisterAbandonedAsync(valid.Agent.GrainKey, session.SessionId).ConfigureAwait(false);
            throw;
        }
        finally
        {
            // A login that ends before admission (refused, cancelled, cluster error) leaves nothing registered on this edge.
            if (_session is null)
            {
                _services.Sessions.Remove(session.SessionId);
            }
        }
    }

    private async Task UnregisterAbandonedAsync(string agentKey, string sessionId)
    {
        try
        {
            await _services.Grains.GetGrain<IAgentGrain>(agentKey).UnregisterSession(sessionId).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogCloseFailed(_logger, sessionId, e.Message);
        }
    }

    /// <summary>
    /// Why a login that had already opened its session (and written its Login record) was refused at the upstream
    /// dial: the session's Logout record says so, instead of "client closed the connection".
    /// </summary>
    private string? _loginRefusal;

    private async Task<bool> DialUpstreamAsync(ResolvedTarget target, IReadOnlyDictionary<string, string> parameters, CancellationToken ct)
    {
        // client_encoding and standard_conforming_strings are pinned: startup values override role and database defaults.
        var forwarded = parameters.Where(p => ForwardedParameters.Contains(p.Key)).Concat(LexicalSettings.PinnedStartupValues);
        try
        {
            _upstream = await _services.Upstream.ConnectAsync(target, forwarded, ct).ConfigureAwait(false);
        }
        catch (UpstreamException e)
        {
            _services.Telemetry.Logins.Add(1, new KeyValuePair<string, object?>("outcome", "upstream_failed"));
            await SendFatalAsync("08006", e.Message).ConfigureAwait(false);
            _loginRefusal = $"login refused after the session opened: 08006 {e.Message}";
            return false;
        }

        foreach (var (name, value) in _upstream.ParameterStatuses)
        {
            if (LexicalSettings.CheckReported(name, value) is { } violation)
            {
                _services.Telemetry.Logins.Add(1, new KeyValuePair<string, object?>("outcome", "upstream_failed"));
                await SendFatalAsync("0A000", $"session refused: {violation}").ConfigureAwait(false);
                _loginRefusal = $"login refused after the session opened: 0A000 {violation}";
                return false;
            }
        }

        return true;
    }

    private async Task GreetClientAsync(ResolvedTarget target, CancellationToken ct)
    {
        var upstream = _upstream!;
        BackendWriter.AuthenticationOk(_clientOutput);
        foreach (var (name, value) in upstream.ParameterStatuses)
        {
            BackendWriter.ParameterStatus(_clientOutput, name, value);
        }

        var secret = RandomNumberGenerator.GetInt32(int.MinValue, int.MaxValue);
        _upstreamCancelKey = new CancelTarget(secret, target.Options.Host, target.Options.Port, upstream.ProcessId, upstream.SecretKey);
        var (processId, secretKey) = await _services.Cancels.IssueAsync(_upstreamCancelKey, ct).ConfigureAwait(false);
        _gatewayProcessId = processId;
        BackendWriter.BackendKeyData(_clientOutput, processId, secretKey);
        BackendWriter.ReadyForQuery(_clientOutput, upstream.TransactionStatus);
        await _clientOutput.FlushAsync(ct).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Token from {Client} refused: the validator failed with {ExceptionType}")]
    private static partial void LogTokenValidatorFailed(ILogger logger, string client, string exceptionType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Token rejected from {Client}: {Reason}")]
    private static partial void LogTokenRejected(ILogger logger, string client, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId} opened: agent {Subject}, target {Target}, client {Client}")]
    private static partial void LogSessionOpened(ILogger logger, string sessionId, string subject, string target, string client);

    [LoggerMessage(Level = LogLevel.Error, Message = "Cluster unavailable at login, refused with 57P03: {Error} ({HeldBack} more such refusals since the last line)")]
    private static partial void LogClusterUnavailable(ILogger logger, string error, long heldBack);

    /// <summary>What the password message held: the token, or null when its length alone refused it.</summary>
    private readonly record struct PasswordMessage(string? Token);
}
