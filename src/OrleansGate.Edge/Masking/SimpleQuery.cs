using OrleansGate.Edge.Postgres;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.Edge.Masking;

/// <summary>
/// Runs one statement of the gateway's own on an idle upstream connection (simple Query protocol, text format) and
/// hands each row to a callback as it arrives, so a large result is never held whole.
/// </summary>
internal static class SimpleQuery
{
    /// <summary>Catalog rows are short; a longer message is a misbehaving upstream.</summary>
    private const int MaxMessageLength = 1 << 20;

    /// <exception cref="CatalogQueryException">The server answered with an error (SQLSTATE and message, no values).</exception>
    /// <exception cref="PgProtocolException">The answer is not well formed.</exception>
    public static async Task RunAsync(UpstreamConnection connection, string sql, Action<string?[]> onRow, CancellationToken ct)
    {
        FrontendWriter.Query(connection.Output, sql);
        await connection.Output.FlushAsync(ct).ConfigureAwait(false);

        string? error = null;
        await connection.ReadUntilAsync(MaxMessageLength, (in PgMessage message) => Handle(message, onRow, ref error), "a catalog query", ct)
            .ConfigureAwait(false);

        if (error is not null)
        {
            throw new CatalogQueryException(error);
        }
    }

    /// <summary>Handles one message of the answer; true at ReadyForQuery, which ends it.</summary>
    private static bool Handle(in PgMessage message, Action<string?[]> onRow, ref string? error)
    {
        var payload = message.Payload;
        switch ((BackendMessageCode)message.Code)
        {
            case BackendMessageCode.DataRow:
                onRow(BackendMessages.ReadTextDataRow(payload));
                return false;
            case BackendMessageCode.ErrorResponse:
                // Kept until ReadyForQuery, so the connection is left in step for the next statement.
                var fields = BackendMessages.ReadError(payload);
                error ??= $"{fields['C']} {fields['M']}";
                return false;
            case BackendMessageCode.RowDescription:
            case BackendMessageCode.CommandComplete:
            case BackendMessageCode.EmptyQueryResponse:
            case BackendMessageCode.NoticeResponse:
            case BackendMessageCode.ParameterStatus:
            case BackendMessageCode.NotificationResponse:
                return false;
            case BackendMessageCode.ReadyForQuery:
                BackendMessages.ReadReadyForQuery(payload);
                return true;
            default:
                throw new PgProtocolException("08P01", $"unexpected message '{(char)message.Code}' from the target during a catalog query");
        }
    }
}
