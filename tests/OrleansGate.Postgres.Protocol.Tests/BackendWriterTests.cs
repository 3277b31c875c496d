using System.Buffers;

namespace OrleansGate.Postgres.Protocol.Tests;

public sealed class BackendWriterTests
{
    [Fact]
    public void AuthenticationOk_reads_back_as_type_0()
    {
        var message = WriteOne(BackendWriter.AuthenticationOk, BackendMessageCode.Authentication);

        Assert.Equal(0, BackendMessages.ReadAuthentication(message.Payload).Type);
        Assert.Equal(8, message.Length);
    }

    [Fact]
    public void AuthenticationCleartextPassword_reads_back_as_type_3()
    {
        var message = WriteOne(BackendWriter.AuthenticationCleartextPassword, BackendMessageCode.Authentication);

        Assert.Equal(3, BackendMessages.ReadAuthentication(message.Payload).Type);
    }

    [Fact]
    public void ParameterStatus_reads_back()
    {
        var message = WriteOne(w => BackendWriter.ParameterStatus(w, "application_name", "agent ✓"), BackendMessageCode.ParameterStatus);

        Assert.Equal(("application_name", "agent ✓"), BackendMessages.ReadParameterStatus(message.Payload));
    }

    [Fact]
    public void BackendKeyData_reads_back()
    {
        var message = WriteOne(w => BackendWriter.BackendKeyData(w, 31337, int.MinValue), BackendMessageCode.BackendKeyData);

        Assert.Equal((31337, int.MinValue), BackendMessages.ReadBackendKeyData(message.Payload));
    }

    [Theory]
    [InlineData('I')]
    [InlineData('T')]
    [InlineData('E')]
    public void ReadyForQuery_reads_back(char status)
    {
        var message = WriteOne(w => BackendWriter.ReadyForQuery(w, (byte)status), BackendMessageCode.ReadyForQuery);

        Assert.Equal((byte)status, BackendMessages.ReadReadyForQuery(message.Payload));
    }

    [Fact]
    public void ReadyForQuery_with_an_unknown_status_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => BackendWriter.ReadyForQuery(new ArrayBufferWriter<byte>(), (byte)'X'));
    }

    [Fact]
    public void ErrorResponse_reads_back_with_every_field()
    {
        var message = WriteOne(
            w => BackendWriter.ErrorResponse(w, "ERROR", "42501", "permission denied by rule \"no-deletes\"", "DELETE on public.orders", "ask an approver"),
            BackendMessageCode.ErrorResponse);

        Assert.Equal(
            new Dictionary<char, string>
            {
                ['S'] = "ERROR",
                ['V'] = "ERROR",
                ['C'] = "42501",
                ['M'] = "permission denied by rule \"no-deletes\"",
                ['D'] = "DELETE on public.orders",
                ['H'] = "ask an approver",
            },
            BackendMessages.ReadErrorOrNotice(message.Payload));
    }

    [Fact]
    public void NoticeResponse_without_detail_and_hint_reads_back_without_them()
    {
        var message = WriteOne(w => BackendWriter.NoticeResponse(w, "NOTICE", "00000", "waiting for approval a-17"), BackendMessageCode.NoticeResponse);

        Assert.Equal(
            new Dictionary<char, string> { ['S'] = "NOTICE", ['V'] = "NOTICE", ['C'] = "00000", ['M'] = "waiting for approval a-17" },
            BackendMessages.ReadErrorOrNotice(message.Payload));
    }

    [Fact]
    public void Error_text_with_a_NUL_is_refused_so_it_cannot_forge_fields()
    {
        var writer = new ArrayBufferWriter<byte>();

        Assert.Throws<ArgumentException>(() => BackendWriter.ErrorResponse(writer, "ERROR", "42501", "denied\0Cforged"));
        Assert.Equal(0, writer.WrittenCount);
    }

    [Fact]
    public void ErrorResponse_with_a_SQLSTATE_not_five_characters_is_refused()
    {
        Assert.Throws<ArgumentException>(() => BackendWriter.ErrorResponse(new ArrayBufferWriter<byte>(), "ERROR", "4250", "denied"));
    }

    [Fact]
    public void NegotiateProtocolVersion_lists_the_newest_minor_version_and_the_ignored_options()
    {
        var message = WriteOne(w => BackendWriter.NegotiateProtocolVersion(w, 0, ["_pq_.a", "_pq_.b"]), BackendMessageCode.NegotiateProtocolVersion);

        Assert.Equal(new WireBuilder().Int32(0).Int32(2).CString("_pq_.a").CString("_pq_.b").ToArray(), message.Payload.ToArray());
    }

    [Theory]
    [InlineData('S')]
    [InlineData('N')]
    public void SingleByte_is_written_without_framing(char value)
    {
        var writer = new ArrayBufferWriter<byte>();

        BackendWriter.SingleByte(writer, (byte)value);

        Assert.Equal([(byte)value], writer.WrittenSpan.ToArray());
    }

    [Fact]
    public void Several_messages_written_in_a_row_frame_back_one_by_one()
    {
        var writer = new ArrayBufferWriter<byte>(1);
        BackendWriter.AuthenticationOk(writer);
        BackendWriter.ParameterStatus(writer, "server_version", "17.2");
        BackendWriter.BackendKeyData(writer, 1, 2);
        BackendWriter.ReadyForQuery(writer, (byte)'I');

        var buffer = new ReadOnlySequence<byte>(writer.WrittenMemory);
        var codes = new List<char>();
        while (MessageFramer.TryRead(buffer, 1024, out var message, out var consumed, out _))
        {
            codes.Add((char)message.Code);
            buffer = buffer.Slice(consumed);
        }

        Assert.Equal(['R', 'S', 'K', 'Z'], codes);
        Assert.True(buffer.IsEmpty);
    }

    private static PgMessage WriteOne(Action<IBufferWriter<byte>> write, BackendMessageCode code)
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
