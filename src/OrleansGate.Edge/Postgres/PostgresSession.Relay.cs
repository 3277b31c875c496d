using System.Buffers;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using OrleansGate.Edge.Classification;
using OrleansGate.Edge.Sessions;
using OrleansGate.Edge.Telemetry;
using OrleansGate.Model;
using OrleansGate.Policy.Classification;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.Edge.Postgres;

public sealed partial class PostgresSession
{
    private const string ClientSentTerminate = "client sent Terminate";

    /// <summary>Refused statements sent upstream as markers whose errors are replaced by the refusals (InjectedRefusals.cs).</summary>
    private readonly InjectedRefusals _refusals = new();

    /// <summary>ReadyForQuery answers the client side has caused so far (one per Query, Sync or FunctionCall sent upstream).</summary>
    private long _cyclesSent;

    /// <summary>ReadyForQuery answers the target has sent so far (upstream loop only).</summary>
    private long _cyclesAnswered;

    /// <summary>Answers held until the records of the reads they answer are durable (upstream loop only).</summary>
    private readonly HeldAnswers _held = new();

    /// <summary>The rest of the current cycle is dropped: a read of it could not be recorded (upstream loop only).</summary>
    private bool _withholdingCycle;

    /// <summary>Runs both directions until one ends; returns why the session closed.</summary>
    private async Task<string> RelayAsync(CancellationToken aborted)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(aborted, _terminate.Token);
        StartRelayForDrain();
        var fromClient = ClientToUpstreamAsync(stop.Token);
        var fromUpstream = UpstreamToClientAsync(stop.Token);
        var first = await Task.WhenAny(fromClient, fromUpstream).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(fromClient, fromUpstream).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        if (_terminate.IsCancellationRequested && !aborted.IsCancellationRequested)
        {
            // Both directions have stopped, so this is the only writer left on the client stream.
            await SendFatalAsync(PgSqlState.AdminShutdown, $"terminating connection: {_terminationReason}").ConfigureAwait(false);
            return $"terminated: {_terminationReason}";
        }

        // A Terminate makes the target close its side too, and that side may be noticed first: the client ended it.
        if (fromClient.IsCompletedSuccessfully && fromClient.Result == ClientSentTerminate && fromUpstream.IsCompletedSuccessfully)
        {
            return ClientSentTerminate;
        }

        // The first direction to finish says why; its exceptions (protocol violations) surface here.
        return await first.ConfigureAwait(false);
    }

    private async Task<string> ClientToUpstreamAsync(CancellationToken ct)
    {
        var upstream = _upstream!.Output;
        var maxLength = _services.Options.MaxMessageLength;
        while (true)
        {
            var result = await _clientInput.ReadAsync(ct).ConfigureAwait(false);
            var buffer = result.Buffer;
            var consumed = buffer.Start;
            var examined = buffer.End;
            var terminated = false;
            var drained = false;
            try
            {
                while (!terminated && FrameClientMessage(buffer, maxLength, out var message, out var messageEnd))
                {
                    // Draining and at a transaction boundary: this message is not handled, the session ends (PostgresSession.Drain.cs).
                    if (!AdmitClientMessage())
                    {
                        drained = true;
                        break;
                    }

                    var cycles = _cyclesSent;
                    terminated = await HandleClientMessageAsync(message, upstream, ct).ConfigureAwait(false);
                    if (_cyclesSent != cycles)
                    {
                        ClientCycleEnded();
                    }

                    buffer = buffer.Slice(messageEnd);
                    consumed = messageEnd;
                }

                if (result.IsCompleted && !terminated && !buffer.IsEmpty)
                {
                    throw new PgProtocolException(PgSqlState.ProtocolViolation, "incomplete message from the client: the connection was closed mid-message");
                }
            }
            finally
            {
                _clientInput.AdvanceTo(consumed, examined);
            }

            if (drained)
            {
                return "session terminated";
            }

            ReleaseHeldDescribe(upstream); // a Describe held for the Execute that may follow it goes with this flush (PostgresSession.Masking.cs)
            await upstream.FlushAsync(ct).ConfigureAwait(false);
            if (terminated)
            {
                return ClientSentTerminate;
            }

            if (result.IsCompleted)
            {
                return "client closed the connection";
            }
        }
    }

    /// <summary>Frames one client message; a code no client sends is refused from its first byte, before its length is trusted.</summary>
    private static bool FrameClientMessage(in ReadOnlySequence<byte> buffer, int maxLength, out PgMessage message, out SequencePosition messageEnd)
    {
        if (new SequenceReader<byte>(buffer).TryPeek(out var code) && !FrontendMessageCodes.IsAfterAuthentication(code))
        {
            throw new PgProtocolException(PgSqlState.ProtocolViolation, $"unexpected message type 0x{code:X2} from the client");
        }

        return MessageFramer.TryRead(buffer, maxLength, out message, out messageEnd, out _);
    }

    /// <summary>Decides and forwards one client message; true after Terminate.</summary>
    private async ValueTask<bool> HandleClientMessageAsync(PgMessage message, IBufferWriter<byte> upstream, CancellationToken ct)
    {
        var payload = message.Payload;
        if (_heldDescribe is not null && message.Code != (byte)FrontendMessageCode.Execute)
        {
            ReleaseHeldDescribe(upstream); // only an Execute of its portal makes it the plan of the rows (PostgresSession.Masking.cs)
        }

        switch ((FrontendMessageCode)message.Code)
        {
            case FrontendMessageCode.Query:
                {
                    var sql = FrontendMessages.ReadQuery(payload);
                    if (await OverLimitAsync(sql).ConfigureAwait(false) is { } limited) // the agent's statement rate (PostgresSession.Limits.cs)
                    {
                        InjectDeniedQuery(upstream, limited);
                        return false;
                    }

                    var (decision, record, masking) = await AuthorizeAsync(StatementSource.SimpleQuery, sql, mayDefer: true, ct).ConfigureAwait(false);
                    if (decision.Effect == DecisionEffect.Approve)
                    {
                        decision = await AwaitApprovalAsync(sql, decision, ct).ConfigureAwait(false); // PostgresSession.Approvals.cs
                    }

                    if (decision.IsAllowed)
                    {
                        // a write of an agent with a rows-changed budget runs where it can be undone (PostgresSession.RowsGuard.cs)
                        var guard = await GuardWriteAsync(sql, simpleQuery: true, upstream, ct).ConfigureAwait(false);

                        // completion record; a read's answer is held until its record is durable (PostgresSession.Completions.cs)
                        ExpectAnswer(InFlightKind.Query, decision.AuditSequence, record, guard);
                        _maskRelay?.Expect(MaskExpectKind.Query, masking); // answers rewritten as they pass (MaskRelay.cs)
                        ForgetStatementsIfDeallocating(sql); // policy bookkeeping (PostgresSession.ExtendedProtocol.cs)
                        Forward(upstream, message.Raw);
                        EndCycle();
                        if (guard is not null)
                        {
                            await EndGuardedQueryAsync(guard, upstream, ct).ConfigureAwait(false);
                        }
                    }
                    else
                    {
                        InjectDeniedQuery(upstream, decision);
                    }

                    return false;
                }

            case FrontendMessageCode.Parse:
                {
                    var parse = FrontendMessages.ReadParse(payload);
                    if (RefuseParseAtLimit(parse.StatementName) is { } full)
                    {
                        InjectDeniedExtended(upstream, await AuditedRefusalAsync(full, parse.Sql).ConfigureAwait(false));
                        return false;
                    }

                    var known = _services.Statements.PolicyVersions?.Version ?? 0;
                    var (decision, record, masking) = await AuthorizeAsync(StatementSource.Parse, parse.Sql, mayDefer: true, ct).ConfigureAwait(false);
                    if (decision.Effect == DecisionEffect.Approve)
                    {
                        // Asked once, when the statement is prepared: an approved prepared statement runs in this session.
                        decision = await AwaitApprovalAsync(parse.Sql, decision, ct).ConfigureAwait(false);
                    }

                    RememberParse(parse.StatementName, parse.Sql, decision, known, record, masking); // policy: recorded when the target confirms it (PostgresSession.ExtendedProtocol.cs)
                    if (decision.IsAllowed)
                    {
                        Forward(upstream, message.Raw);
                    }
                    else
                    {
                        InjectDeniedParse(upstream, parse.StatementName, decision);
                    }

                    return false;
                }

            case FrontendMessageCode.Bind:
                {
                    var bind = FrontendMessages.ReadBind(payload);

                    // policy: a refused or unknown statement is refused in the Bind's place; one an earlier, unanswered cycle
                    // changes is decided once the target has answered it (PostgresSession.ExtendedProtocol.cs)
                    if (await DecideBindAsync(bind.PortalName, bind.StatementName, ct).ConfigureAwait(false) is { IsAllowed: false } refused)
                    {
                        InjectDeniedExtended(upstream, refused);
                    }
                    else
                    {
                        Forward(upstream, message.Raw);
                    }

                    return false;
                }

            case FrontendMessageCode.Describe:
                {
                    var (kind, name) = FrontendMessages.ReadDescribeOrClose(payload);
                    if (HoldDescribe(message, kind, name))
                    {
                        return false;
                    }

                    _maskRelay?.Expect(MaskExpectKind.ClientDescribe, null);
                    Forward(upstream, message.Raw);
                    return false;
                }

            case FrontendMessageCode.Close:
                {
                    var (kind, name) = FrontendMessages.ReadDescribeOrClose(payload);
                    ForgetClosed(kind, name); // policy bookkeeping
                    Forward(upstream, message.Raw);
                    return false;
                }

            case FrontendMessageCode.Execute:
                {
                    var (portal, _) = FrontendMessages.ReadExecute(payload);

                    // Its completion is its record: not while too many wait behind an append in flight (EdgeSession).
                    await _edge!.RoomForCompletionAsync().WaitAsync(ct).ConfigureAwait(false);

                    // policy: decided again when the policy version changed since Parse (PostgresSession.ExtendedProtocol.cs)
                    var authorized = RefuseExecutionWhileCompletionsUnwritten() is { } unwritten
                        ? new Authorized(unwritten, null)
                        : await DecideExecuteAsync(portal, ct).ConfigureAwait(false);
                    var (decision, record, masking) = authorized;
                    if (!decision.IsAllowed)
                    {
                        ReleaseHeldDescribe(upstream);
                        InjectDeniedExtended(upstream, decision);
                    }
                    else
                    {
                        var guard = await GuardWriteAsync(authorized.Sql, simpleQuery: false, upstream, ct).ConfigureAwait(false); // PostgresSession.RowsGuard.cs
                        ExpectAnswer(InFlightKind.Execute, decision.AuditSequence, record, guard);
                        ExpectMaskedExecute(upstream, portal, masking); // PostgresSession.Masking.cs
                        Forward(upstream, message.Raw);
                        if (guard is not null)
                        {
                            await EndGuardedExecuteAsync(guard, upstream, ct).ConfigureAwait(false);
                        }
                    }

                    return false;
                }

            case FrontendMessageCode.Sync:
                ExpectAnswer(InFlightKind.Sync, null);
                _maskRelay?.Expect(MaskExpectKind.Sync, null);
                Forward(upstream, message.Raw);
                EndCycle();
                return false;

            case FrontendMessageCode.Flush:
            case FrontendMessageCode.CopyData:
            case FrontendMessageCode.CopyDone:
            case FrontendMessageCode.CopyFail:
                Forward(upstream, message.Raw);
                return false;

            case FrontendMessageCode.FunctionCall:
                {
                    // The legacy fast-path call names a function by OID, out of the parser's sight: the grain
                    // refuses it, so the refusal is decided and audited like any other statement.
                    var (decision, _, _) = await AuthorizeAsync(StatementSource.FunctionCall, sql: null).ConfigureAwait(false);
                    InjectDeniedQuery(upstream, decision.IsAllowed
                        ? decision with { Effect = DecisionEffect.Deny, Rule = GatewayRules.FunctionCall, Reason = "the function-call message is not allowed" }
                        : decision);
                    return false;
                }

            case FrontendMessageCode.Terminate:
                Forward(upstream, message.Raw);
                return true;

            default:
                throw new PgProtocolException("08P01", $"unexpected message type 0x{message.Code:X2} from the client");
        }
    }

    /// <summary>
    /// The one hook every statement passes through: classified here with the real parser, then decided and recorded
    /// on this edge (EdgeSession). The raw text goes no further than this method. With <paramref name="mayDefer"/>, an
    /// allowed pure read is not waited for: its record is queued (<see cref="Authorized.Record"/>) and the relay holds
    /// its answer until the record is durable. Not while this edge sees the audit store failing: the read is then refused
    /// in its place, as a write is.
    /// </summary>
    private async ValueTask<Authorized> AuthorizeAsync(StatementSource source, string? sql, bool mayDefer = false, CancellationToken ct = default)
    {
        var started = Stopwatch.GetTimestamp();
        using var span = EdgeTelemetry.ActivitySource.StartActivity(EdgeTelemetry.DecideSpan);
        _statementTrace = span?.Context ?? default;
        Authorized authorized;
        try
        {
            var action = sql is null ? SqlAction.Opaque : _services.Statements.Summarize(sql);
            var decision = _edge!.Decide(source, action);
            MaskWork? masking = null;
            if (sql is not null && decision.Effect is DecisionEffect.Allow or DecisionEffect.Approve)
            {
                (decision, masking) = await MaskAsync(sql, action, decision, ct).ConfigureAwait(false); // PostgresSession.Masking.cs
            }

            authorized = mayDefer && decision.IsAllowed && action.IsPureRead && !_services.EdgeSessions.AuditHealth.Failing
                ? new Authorized(decision, _edge.DeferRead(decision, action), masking)
                : new Authorized(await _edge.RecordAsync(decision, action).ConfigureAwait(false), null, masking);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Fail closed: no decision means no statement.
            LogDecisionUnavailable(_logger, _session!.SessionId, e.Message);
            authorized = new Authorized(new Decision(DecisionEffect.Unavailable, GatewayRules.ClusterUnavailable, "the gateway could not decide", 0, 0), null);
        }

        _services.Telemetry.DecisionLatency.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, EdgeTelemetry.Postgres);
        _services.Telemetry.Decisions.Add(1, EdgeTelemetry.Postgres, new KeyValuePair<string, object?>("effect", authorized.Decision.Effect.ToString()));
        EdgeTelemetry.TagDecision(span, _session?.SessionId, authorized.Decision);
        return authorized;
    }

    /// <summary>A decision, and the record of an allowed read while it is not durable yet (null once it is, or when it was waited for).</summary>
    private readonly record struct Authorized(Decision Decision, AuditPump.Deferred? Record, MaskWork? Masking = null)
    {
        /// <summary>An Execute's statement text (edge only): whether it writes, for the rows-changed budget.</summary>
        public string? Sql { get; init; }
    }

    private void InjectDeniedQuery(IBufferWriter<byte> upstream, Decision decision)
    {
        ExpectAnswer(InFlightKind.Query, null); // its ReadyForQuery ends nothing that is recorded
        _maskRelay?.Expect(MaskExpectKind.Query, null);
        _refusals.InjectQuery(upstream, _cyclesSent, decision);
        EndCycle();
    }

    private void InjectDeniedParse(IBufferWriter<byte> upstream, string statementName, Decision decision) =>
        _refusals.InjectParse(upstream, _cyclesSent, statementName, decision);

    private async Task<string> UpstreamToClientAsync(CancellationToken ct)
    {
        var upstream = _upstream!.Input;
        var maxLength = _services.Options.MaxUpstreamMessageLength;
        while (true)
        {
            var result = await upstream.ReadAsync(ct).ConfigureAwait(false);

            // The client's stream has one writer at a time: this loop, or an approval's notice (PostgresSession.Approvals.cs).
            await _clientWrites.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                var buffer = result.Buffer;
                var consumed = buffer.Start;
                var examined = buffer.End;
                try
                {
                    while (!_terminate.IsCancellationRequested && MessageFramer.TryRead(buffer, maxLength, out var message, out var messageEnd, out _))
                    {
                        RelayUpstreamMessage(message);
                        buffer = buffer.Slice(messageEnd);
                        consumed = messageEnd;
                    }
                }
                catch (PgProtocolException e)
                {
                    // The upstream is untrusted input too: this session ends, every other one carries on.
                    throw new PgProtocolException("08P01", $"the target sent an invalid message ({e.Message}); session closed");
                }
                finally
                {
                    upstream.AdvanceTo(consumed, examined);
                }

                if (_terminate.IsCancellationRequested)
                {
                    return "session terminated";
                }

                if (_held.Active)
                {
                    // What this read brought waits for the records of the reads it answers; the target is not read meanwhile.
                    await _edge!.AwaitRecordsAsync(_held.Records, ct).ConfigureAwait(false);
                    _withholdingCycle = _held.Release(_clientOutput, WriteWithheld);
                }

                await _clientOutput.FlushAsync(ct).ConfigureAwait(false);
                if (!_held.Active)
                {
                    Delivered(_cyclesAnswered, _answeredStatus); // the drain's boundary check (PostgresSession.Drain.cs)
                }

                if (result.IsCompleted)
                {
                    _targetClosed = true; // nothing left there to cancel (PostgresSession.Cancel.cs)
                    return "target closed the connection";
                }
            }
            finally
            {
                _clientWrites.Release();
            }
        }
    }

    /// <summary>
    /// Relays one upstream message (to the client, or behind held answers), rewriting the error of a refused statement.
    /// Everything the relay learns from it (bookkeeping, completions, checks) is learnt here, whether it is held or not.
    /// </summary>
    private void RelayUpstreamMessage(in PgMessage message)
    {
        // Answers to the gateway's own statements, and what a write held to a rows budget changes (PostgresSession.RowsGuard.cs).
        TrackCycleFailure(message.Code);
        if (_guarding && GuardUpstreamMessage(message, _withholdingCycle ? Discarded : _held.Active ? _held.Writer : _clientOutput))
        {
            return;
        }

        // The answer of a read whose record is not durable yet: held from here on (HeldAnswers.cs).
        if (!_withholdingCycle && InFlight.TryPeek(out var answering) && answering.Deferred is { } record && !record.Durable.IsCompletedSuccessfully)
        {
            _held.Require(record);
        }

        var output = _withholdingCycle ? Discarded : _held.Active ? _held.Writer : _clientOutput;
        string? sqlState = null;
        TrackStatementAnswer(message); // prepared statements and portals as the target holds them (PostgresSession.ExtendedProtocol.cs)
        ChargeRows(message); // the agent's rows budgets (PostgresSession.Limits.cs)

        // Rows and COPY data of a session with masks are rewritten as they pass; the gateway's own Describe is not relayed (MaskRelay.cs).
        if (_maskRelay is { } masks && message.Code is not ((byte)BackendMessageCode.ErrorResponse or (byte)BackendMessageCode.NoticeResponse)
            && masks.Relay(message, output))
        {
            return;
        }

        switch ((BackendMessageCode)message.Code)
        {
            case BackendMessageCode.ErrorResponse:
                // Read once: its structure check, the refusal it may carry, and the outcome of the statement it ends.
                var fields = BackendMessages.ReadError(message.Payload);
                var withhold = _maskRelay?.ErrorArrived() == true;
                if (_refusals.TryTake(fields, _cyclesAnswered, out var refusal))
                {
                    WriteRefusal(output, refusal);
                    return;
                }

                sqlState = fields['C'];
                if (withhold)
                {
                    // Its text may quote a masked value (a failed cast does): only the SQLSTATE is relayed.
                    InFlight.Track(message, sqlState);
                    MaskRelay.WriteWithheld(output, error: true, fields);
                    return;
                }

                break;

            case BackendMessageCode.NoticeResponse:
                if (_maskRelay is { WithholdsNotices: true })
                {
                    MaskRelay.WriteWithheld(output, error: false, BackendMessages.ReadErrorOrNotice(message.Payload));
                    return;
                }

                ValidateUpstreamMessage(message);
                break;

            case BackendMessageCode.ReadyForQuery:
                _answeredStatus = BackendMessages.ReadReadyForQuery(message.Payload);

                _refusals.CycleEnded(_cyclesAnswered);

                var guarded = InFlight.TryPeek(out var ending) && ending.Kind == InFlightKind.Query ? ending.Guard : null;
                InFlight.Track(message);
                _cyclesAnswered++;
                Interlocked.Exchange(ref _answeredWaiter, null)?.TrySetResult(); // PostgresSession.RowsGuard.cs
                if (_withholdingCycle)
                {
                    // The rest of a cycle whose read could not be recorded was dropped: the refusal ends it.
                    _withholdingCycle = false;
                    output = _held.Active ? _held.Writer : _clientOutput;
                    WriteWithheld(output);
                }

                if (guarded is not null)
                {
                    _guardSwallow = GuardSwallow.None;
                    if (!EndGuardedCycle(guarded))
                    {
                        // The gateway ends the transaction it opened, or fails the client's: that answer ends the cycle.
                        _held.CycleEnded();
                        return;
                    }
                }

                Forward(output, message.Raw);
                _held.CycleEnded();
                return;

            case BackendMessageCode.NotificationResponse:
                RelayNotification(output, message); // the notifier's process id as the client knows it (PostgresSession.Notifications.cs)
                return;

            case BackendMessageCode.ParameterStatus:
                if (LexicalSettingChanged(message) is { } violation) // reading it is its structure check
                {
                    // Not relayed: the session ends here (RelayAsync sends the FATAL with this reason).
                    Terminate(violation);
                    return;
                }

                break;

            default:
                ValidateUpstreamMessage(message);
                break;
        }

        InFlight.Track(message, sqlState); // completion records (CompletionTracker.cs)
        Forward(output, message.Raw);
    }

    /// <summary>Where the answers of a cycle whose read could not be recorded go: nowhere.</summary>
    private static readonly IBufferWriter<byte> Discarded = new DiscardingWriter();

    /// <summary>The refusal that replaces the answer of a read whose record could not be written (nothing of it is released).</summary>
    private void WriteWithheld(IBufferWriter<byte> output) => WriteRefusal(output, new Decision(
        DecisionEffect.Unavailable, GatewayRules.AuditUnavailable, _edge!.WithheldReason ?? "audit store unavailable", 0, 0));

    /// <summary>
    /// Why a ParameterStatus from the target ends the session: client_encoding or standard_conforming_strings
    /// changed mid-session (a function calling set_config, say), so the target would no longer read statement
    /// text as the classifier does. Null for every other report.
    /// </summary>
    private static string? LexicalSettingChanged(in PgMessage message)
    {
        var (name, value) = BackendMessages.ReadParameterStatus(message.Payload);
        return LexicalSettings.CheckReported(name, value);
    }

    private static void WriteRefusal(IBufferWriter<byte> output, Decision decision)
    {
        if (GatewayRefusalState(decision) is { } sqlState)
        {
            // Refused by the gateway's own bookkeeping, not by a policy rule.
            BackendWriter.ErrorResponse(output, "ERROR", sqlState, $"statement refused by the gateway: {decision.Reason}");
            return;
        }

        if (decision.Effect == DecisionEffect.Unavailable)
        {
            BackendWriter.ErrorResponse(output, "ERROR", "58000", $"statement refused by the gateway: {decision.Reason}",
                hint: "The gateway fails closed while a dependency is unavailable; retry later.");
            return;
        }

        BackendWriter.ErrorResponse(output, "ERROR", "42501", $"statement denied by rule \"{decision.Rule}\": {decision.Reason}",
            detail: string.IsNullOrEmpty(decision.PolicyLabel) ? $"policy version {decision.PolicyVersion}" : $"policy version {decision.PolicyVersion} ({decision.PolicyLabel})");
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Session {SessionId}: no decision could be made: {Error}")]
    private static partial void LogDecisionUnavailable(ILogger logger, string sessionId, string error);
}
