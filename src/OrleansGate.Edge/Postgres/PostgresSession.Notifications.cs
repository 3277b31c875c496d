using System.Buffers;
using System.Buffers.Binary;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.Edge.Postgres;

/// <summary>
/// LISTEN/NOTIFY: a NotificationResponse names the backend that sent it. The client was given the gateway's own
/// process id (BackendKeyData), so the target's id of this session is rewritten to it: clients that skip their own
/// notifications by comparing the two (Npgsql's <c>PID</c>, libpq's <c>be_pid</c>) keep working.
/// </summary>
/// <remarks>
/// Other backends' ids are the target's and are relayed as they are: the gateway cannot map them (a notifier may be
/// on another edge or not behind the gateway at all). Only a target id equal to this session's gateway id, which the
/// client would take for its own, is relayed as 0, an id no PostgreSQL backend has.
/// </remarks>
public sealed partial class PostgresSession
{
    /// <summary>Code, length and the notifier's process id: the part of a NotificationResponse that is rewritten.</summary>
    private const int NotificationHeaderLength = 1 + 4 + 4;

    private void RelayNotification(IBufferWriter<byte> output, in PgMessage message)
    {
        ValidateUpstreamMessage(message);
        Span<byte> header = stackalloc byte[NotificationHeaderLength];
        message.Raw.Slice(0, NotificationHeaderLength).CopyTo(header);
        var notifier = BinaryPrimitives.ReadInt32BigEndian(header[5..]);
        var relayed = notifier == _upstream!.ProcessId ? _gatewayProcessId : notifier == _gatewayProcessId ? 0 : notifier;
        if (relayed == notifier)
        {
            Forward(output, message.Raw);
            return;
        }

        BinaryPrimitives.WriteInt32BigEndian(header[5..], relayed); // code and length stay as they were
        output.Write(header);
        Forward(output, message.Raw.Slice(NotificationHeaderLength));
    }
}
