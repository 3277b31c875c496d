using OrleansGate.Postgres.Protocol;

namespace OrleansGate.Edge.Postgres;

// The upstream is untrusted input too: what it sends is checked before a client parses it.
public sealed partial class PostgresSession
{
    /// <summary>
    /// COPY starts only in answer to a Query or an Execute: a CopyInResponse while the target owes nothing else (a Sync,
    /// or nothing at all) would make the client stream data nobody asked for.
    /// </summary>
    private void ExpectCopyAllowed()
    {
        if (!InFlight.TryPeek(out var answering) || answering.Kind == InFlightKind.Sync)
        {
            throw new PgProtocolException(PgSqlState.ProtocolViolation, "a COPY response that answers no Query or Execute");
        }
    }

    /// <summary>
    /// Checks what the client will parse: a malformed or out-of-place upstream message ends this session (08P01)
    /// rather than reaching a client that could misread it. Row values are walked, not copied.
    /// </summary>
    private void ValidateUpstreamMessage(in PgMessage message)
    {
        var payload = message.Payload;
        switch ((BackendMessageCode)message.Code)
        {
            case BackendMessageCode.DataRow:
                BackendMessages.ValidateDataRow(payload);
                return;
            case BackendMessageCode.ErrorResponse:
                BackendMessages.ReadError(payload);
                return;
            case BackendMessageCode.NoticeResponse:
                BackendMessages.ReadErrorOrNotice(payload);
                return;
            case BackendMessageCode.ParameterStatus:
                BackendMessages.ReadParameterStatus(payload);
                return;
            case BackendMessageCode.NotificationResponse:
                BackendMessages.ReadNotification(payload);
                return;
            case BackendMessageCode.RowDescription:
                BackendStructure.ValidateRowDescription(payload);
                return;
            case BackendMessageCode.ParameterDescription:
                BackendStructure.ValidateParameterDescription(payload);
                return;
            case BackendMessageCode.CommandComplete:
                BackendStructure.ValidateCommandComplete(payload);
                return;
            case BackendMessageCode.CopyInResponse:
            case BackendMessageCode.CopyOutResponse:
                BackendStructure.ValidateCopyResponse(payload);
                ExpectCopyAllowed();
                return;
            case BackendMessageCode.BindComplete: // a completion nobody asked for: PostgresSession.ExtendedProtocol.cs (Confirm)
            case BackendMessageCode.CloseComplete:
            case BackendMessageCode.CopyData:
            case BackendMessageCode.CopyDone:
            case BackendMessageCode.EmptyQueryResponse:
            case BackendMessageCode.NoData:
            case BackendMessageCode.ParseComplete:
            case BackendMessageCode.PortalSuspended:
                return;
            default:
                // Authentication, BackendKeyData and NegotiateProtocolVersion belong to login; CopyBoth to replication
                // and FunctionCallResponse to the function call, neither of which the gateway lets through.
                throw new PgProtocolException(PgSqlState.ProtocolViolation, $"unexpected message type 0x{message.Code:X2} after login");
        }
    }
}
