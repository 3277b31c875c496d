using System.Buffers;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.IntegrationTests.Identity;

/// <summary>Fields of an ErrorResponse read off the wire by <see cref="Fixtures.RawPgClient"/>.</summary>
internal static class ErrorFields
{
    /// <summary>The field's text (e.g. 'C' SQLSTATE, 'M' message), or empty.</summary>
    public static string Of((char Code, byte[] Payload) message, char field) =>
        BackendMessages.ReadErrorOrNotice(new ReadOnlySequence<byte>(message.Payload)).GetValueOrDefault(field, "");
}
