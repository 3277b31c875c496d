using System.Buffers;
using System.Buffers.Binary;

namespace OrleansGate.Postgres.Protocol.Tests;

public sealed class FrontendWriterTests
{
    [Fact]
    public void StartupMessage_reads_back_as_protocol_3_0_with_its_parameters()
    {
        var parameters = new Dictionary<string, string> { ["user"] = "gateway", ["database"] = "orders", ["client_encoding"] = "UTF8" };
        var writer = new ArrayBufferWriter<byte>();

        FrontendWriter.StartupMessage(writer, parameters);

        var buffer = new ReadOnlySequence<byte>(writer.WrittenMemory);
        Assert.True(StartupReader.TryRead(buffer, out var packet, out var consumed, out _));
        Assert.Equal(writer.WrittenCount, buffer.Offset(consumed));
        Assert.Equal(StartupPacketKind.StartupMessage, packet.Kind);
        Assert.Equal(196608, packet.ProtocolVersion);
        Assert.Equal(parameters, packet.Parameters);
    }

    [Fact]
    public void StartupMessage_with_repeated_names_is_refused()
    {
        KeyValuePair<string, string>[] parameters = [new("user", "a"), new("user", "b")];

        Assert.Throws<ArgumentException>(() => FrontendWriter.StartupMessage(new ArrayBufferWriter<byte>(), parameters));
    }

    [Fact]
    public void StartupMessage_over_10000_bytes_is_refused()
    {
        KeyValuePair<string, string>[] parameters = [new("user", "a"), new("options", new string('x', 10_000))];

        Assert.Throws<ArgumentException>(() => FrontendWriter.StartupMessage(new ArrayBufferWriter<byte>(), parameters));
    }

    [Fact]
    public void CancelRequest_reads_back_with_process_id_and_key()
    {
        var writer = new ArrayBufferWriter<byte>();

        FrontendWriter.CancelRequest(writer, 4242, -7);

        Assert.True(StartupReader.TryRead(new ReadOnlySequence<byte>(writer.WrittenMemory), out var packet, out _, out _));
        Assert.Equal(StartupPacketKind.CancelRequest, packet.Kind);
        Assert.Equal((4242, -7), (packet.CancelProcessId, packet.CancelSecretKey));
        Assert.Equal(16, writer.WrittenCount);
    }

    [Fact]
    public void SslRequest_reads_back()
    {
        var writer = new ArrayBufferWriter<byte>();

        FrontendWriter.SslRequest(writer);

        Assert.True(StartupReader.TryRead(new ReadOnlySequence<byte>(writer.WrittenMemory), out var packet, out _, out _));
        Assert.Equal(StartupPacketKind.SslRequest, packet.Kind);
    }

    [Fact]
    public void PasswordMessage_reads_back()
    {
        var message = WriteOne(w => FrontendWriter.PasswordMessage(w, "md5bb41a296aab6baccb36ff243a562abff"), FrontendMessageCode.PasswordMessage);

        Assert.Equal("md5bb41a296aab6baccb36ff243a562abff", FrontendMessages.ReadPassword(message.Payload));
    }

    [Fact]
    public void Query_reads_back()
    {
        var message = WriteOne(w => FrontendWriter.Query(w, "SELECT 'ünïcode'"), FrontendMessageCode.Query);

        Assert.Equal("SELECT 'ünïcode'", FrontendMessages.ReadQuery(message.Payload));
    }

    [Fact]
    public void Parse_reads_back_with_name_text_and_no_parameter_types()
    {
        var message = WriteOne(w => FrontendWriter.Parse(w, "s1", "SELECT $1"), FrontendMessageCode.Parse);

        var parse = FrontendMessages.ReadParse(message.Payload);
        Assert.Equal("s1", parse.StatementName);
        Assert.Equal("SELECT $1", parse.Sql);
        Assert.Empty(parse.ParameterTypeOids);
    }

    [Fact]
    public void Query_with_a_NUL_is_refused()
    {
        Assert.Throws<ArgumentException>(() => FrontendWriter.Query(new ArrayBufferWriter<byte>(), "SELECT 1\0; DROP TABLE t"));
    }

    [Fact]
    public void Terminate_is_a_bare_header()
    {
        var message = WriteOne(FrontendWriter.Terminate, FrontendMessageCode.Terminate);

        Assert.Equal(4, message.Length);
        Assert.True(message.Payload.IsEmpty);
    }

    [Fact]
    public void SaslInitialResponse_carries_mechanism_length_and_data()
    {
        var message = WriteOne(w => FrontendWriter.SaslInitialResponse(w, "SCRAM-SHA-256", "n,,n=,r=abc"u8), FrontendMessageCode.PasswordMessage);

        var payload = message.Payload.ToArray();
        Assert.Equal("SCRAM-SHA-256\0"u8.ToArray(), payload[..14]);
        Assert.Equal(11, BinaryPrimitives.ReadInt32BigEndian(payload.AsSpan(14)));
        Assert.Equal("n,,n=,r=abc"u8.ToArray(), payload[18..]);
    }

    [Fact]
    public void SaslResponse_carries_the_data_alone()
    {
        var message = WriteOne(w => FrontendWriter.SaslResponse(w, "c=biws,r=abc,p=xyz"u8), FrontendMessageCode.PasswordMessage);

        Assert.Equal("c=biws,r=abc,p=xyz"u8.ToArray(), message.Payload.ToArray());
    }

    private static PgMessage WriteOne(Action<IBufferWriter<byte>> write, FrontendMessageCode code)
    {
        var writer = new ArrayBufferWriter<byte>();
        write(writer);

        var buffer = new ReadOnlySequence<byte>(writer.WrittenMemory);
        Assert.True(MessageFramer.TryRead(buffer, 1 << 16, out var message, out var consumed, out _));
        Assert.Equal((byte)code, message.Code);
        Assert.Equal(writer.WrittenCount, buffer.Offset(consumed));
        return message;
    }
}
