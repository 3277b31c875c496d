using System.Buffers;
using System.Globalization;

namespace OrleansGate.Postgres.Protocol.Tests;

/// <summary>
/// One valid sample of every message type each side sends, with the decoder the gateway applies to it (if any),
/// rendered as text so results read from differently segmented buffers can be compared.
/// </summary>
internal static class MessageCatalog
{
    /// <param name="OpenEnded">The payload ends with "the rest of the message" (SASL data): a shorter or longer payload is still valid.</param>
    public sealed record Sample(string Name, char Code, byte[] Payload, Func<ReadOnlySequence<byte>, string>? Decode, bool OpenEnded = false)
    {
        public byte[] Framed => new WireBuilder().Bytes(Payload).ToMessage(Code);
    }

    public static IReadOnlyList<Sample> Frontend { get; } =
    [
        new("Query", 'Q', new WireBuilder().CString("SELECT * FROM orders WHERE id = 1").ToArray(), p => FrontendMessages.ReadQuery(p)),
        new("Parse", 'P', new WireBuilder().CString("s1").CString("SELECT $1::int, $2").Int16(2).Int32(23).Int32(25).ToArray(), p => Text(FrontendMessages.ReadParse(p))),
        new("Bind", 'B', new WireBuilder().CString("p1").CString("s1").Int16(2).Int16(0).Int16(1).Int16(2).Int32(2).Bytes(0x34, 0x32).Int32(-1).Int16(1).Int16(1).ToArray(), p => Text(FrontendMessages.ReadBind(p))),
        new("Describe statement", 'D', new WireBuilder().Byte((byte)'S').CString("s1").ToArray(), p => FrontendMessages.ReadDescribeOrClose(p).ToString()),
        new("Describe portal", 'D', new WireBuilder().Byte((byte)'P').CString("").ToArray(), p => FrontendMessages.ReadDescribeOrClose(p).ToString()),
        new("Close", 'C', new WireBuilder().Byte((byte)'S').CString("s1").ToArray(), p => FrontendMessages.ReadDescribeOrClose(p).ToString()),
        new("Close portal", 'C', new WireBuilder().Byte((byte)'P').CString("p1").ToArray(), p => FrontendMessages.ReadDescribeOrClose(p).ToString()),
        new("Execute", 'E', new WireBuilder().CString("p1").Int32(10).ToArray(), p => FrontendMessages.ReadExecute(p).ToString()),
        new("PasswordMessage", 'p', new WireBuilder().CString("eyJhbGciOi.token.sig").ToArray(), p => FrontendMessages.ReadPassword(p)),
        new("Sync", 'S', [], null),
        new("Flush", 'H', [], null),
        new("Terminate", 'X', [], null),
        new("CopyData", 'd', new WireBuilder().Bytes("1\tAda\n"u8.ToArray()).ToArray(), null),
        new("CopyDone", 'c', [], null),
        new("CopyFail", 'f', new WireBuilder().CString("aborted by user").ToArray(), null),
        new("FunctionCall", 'F', new WireBuilder().Int32(1598).Int16(0).Int16(0).Int16(0).ToArray(), null),
    ];

    public static IReadOnlyList<Sample> Backend { get; } =
    [
        new("AuthenticationOk", 'R', new WireBuilder().Int32(0).ToArray(), p => Text(BackendMessages.ReadAuthentication(p))),
        new("AuthenticationMD5Password", 'R', new WireBuilder().Int32(5).Bytes(1, 2, 3, 4).ToArray(), p => Text(BackendMessages.ReadAuthentication(p))),
        new("AuthenticationCleartextPassword", 'R', new WireBuilder().Int32(3).ToArray(), p => Text(BackendMessages.ReadAuthentication(p))),
        new("AuthenticationSASLContinue", 'R', new WireBuilder().Int32(11).Bytes("r=abc,s=c2FsdA==,i=4096"u8.ToArray()).ToArray(), p => Text(BackendMessages.ReadAuthentication(p)), OpenEnded: true),
        new("AuthenticationSASLFinal", 'R', new WireBuilder().Int32(12).Bytes("v=c2lnbmF0dXJl"u8.ToArray()).ToArray(), p => Text(BackendMessages.ReadAuthentication(p)), OpenEnded: true),
        new("AuthenticationSASL", 'R', new WireBuilder().Int32(10).CString("SCRAM-SHA-256").CString("SCRAM-SHA-256-PLUS").Byte(0).ToArray(), p => Text(BackendMessages.ReadAuthentication(p))),
        new("ParameterStatus", 'S', new WireBuilder().CString("client_encoding").CString("UTF8").ToArray(), p => BackendMessages.ReadParameterStatus(p).ToString()),
        new("BackendKeyData", 'K', new WireBuilder().Int32(4242).Int32(-17).ToArray(), p => BackendMessages.ReadBackendKeyData(p).ToString()),
        new("ReadyForQuery", 'Z', new WireBuilder().Byte((byte)'T').ToArray(), p => BackendMessages.ReadReadyForQuery(p).ToString(CultureInfo.InvariantCulture)),
        new("ErrorResponse", 'E', new WireBuilder().Byte((byte)'S').CString("ERROR").Byte((byte)'C').CString("42P01").Byte((byte)'M').CString("relation \"x\" does not exist").Byte(0).ToArray(), p => Text(BackendMessages.ReadError(p))),
        new("NoticeResponse", 'N', new WireBuilder().Byte((byte)'S').CString("NOTICE").Byte((byte)'C').CString("00000").Byte((byte)'M').CString("hello").Byte(0).ToArray(), p => Text(BackendMessages.ReadErrorOrNotice(p))),
        new("DataRow", 'D', new WireBuilder().Int16(3).Int32(2).Bytes(0x34, 0x32).Int32(-1).Int32(0).ToArray(), p => BackendMessages.ValidateDataRow(p).ToString(CultureInfo.InvariantCulture)),
        new("NotificationResponse", 'A', new WireBuilder().Int32(99).CString("jobs").CString("{\"id\":1}").ToArray(), p => BackendMessages.ReadNotification(p).ToString()),
        new("RowDescription", 'T', new WireBuilder().Int16(1).CString("id").Int32(16384).Int16(1).Int32(23).Int16(4).Int32(-1).Int16(0).ToArray(), p => BackendStructure.ValidateRowDescription(p).ToString(CultureInfo.InvariantCulture)),
        new("CommandComplete", 'C', new WireBuilder().CString("SELECT 1").ToArray(), p => Complete(p)),
        new("ParseComplete", '1', [], null),
        new("BindComplete", '2', [], null),
        new("CloseComplete", '3', [], null),
        new("NoData", 'n', [], null),
        new("PortalSuspended", 's', [], null),
        new("EmptyQueryResponse", 'I', [], null),
        new("ParameterDescription", 't', new WireBuilder().Int16(2).Int32(23).Int32(25).ToArray(), p => BackendStructure.ValidateParameterDescription(p).ToString(CultureInfo.InvariantCulture)),
        new("CopyInResponse", 'G', new WireBuilder().Byte(0).Int16(1).Int16(0).ToArray(), p => BackendStructure.ValidateCopyResponse(p).ToString(CultureInfo.InvariantCulture)),
        new("CopyBothResponse", 'W', new WireBuilder().Byte(0).Int16(0).ToArray(), p => BackendStructure.ValidateCopyResponse(p).ToString(CultureInfo.InvariantCulture)),
        new("CopyOutResponse", 'H', new WireBuilder().Byte(1).Int16(2).Int16(1).Int16(0).ToArray(), p => BackendStructure.ValidateCopyResponse(p).ToString(CultureInfo.InvariantCulture)),
    ];

    /// <summary>CommandComplete as the gateway reads it: the structure, then the row count from the tag.</summary>
    private static string Complete(ReadOnlySequence<byte> payload)
    {
        BackendStructure.ValidateCommandComplete(payload);
        return BackendMessages.ReadCommandCompleteCount(payload)?.ToString(CultureInfo.InvariantCulture) ?? "none";
    }

    public static IEnumerable<Sample> All => Frontend.Concat(Backend);

    public static Sample Named(string name) => All.Single(s => s.Name == name);

    public static TheoryData<string> Names(IEnumerable<Sample> samples)
    {
        var data = new TheoryData<string>();
        foreach (var sample in samples)
        {
            data.Add(sample.Name);
        }

        return data;
    }

    private static string Text(ParseMessage m) => $"{m.StatementName}|{m.Sql}|{string.Join(',', m.ParameterTypeOids)}";

    private static string Text(BindMessage m) => $"{m.PortalName}|{m.StatementName}|{m.ParameterCount}|{string.Join(',', m.ResultFormatCodes)}";

    private static string Text(AuthenticationRequest m) => $"{m.Type}|{Convert.ToHexString(m.Data)}|{string.Join(',', m.SaslMechanisms)}";

    private static string Text(IReadOnlyDictionary<char, string> fields) =>
        string.Join('|', fields.OrderBy(f => f.Key).Select(f => $"{f.Key}={f.Value}"));
}
