using System.Buffers;

namespace OrleansGate.Postgres.Protocol.Tests;

public sealed class BackendMessagesTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void Authentication_ok_and_cleartext_carry_no_data(int type)
    {
        var request = BackendMessages.ReadAuthentication(Payload(new WireBuilder().Int32(type)));

        Assert.Equal(type, request.Type);
        Assert.Empty(request.Data);
        Assert.Empty(request.SaslMechanisms);
    }

    [Theory]
    [InlineData("SELECT 5", 5L)]
    [InlineData("INSERT 0 3", 3L)]
    [InlineData("UPDATE 12345678901", 12345678901L)]
    [InlineData("COPY 0", 0L)]
    [InlineData("CREATE TABLE", null)]
    [InlineData("BEGIN", null)]
    [InlineData("SELECT 5x", null)]
    public void Command_complete_count_is_the_number_ending_its_tag_in_any_split(string tag, long? expected)
    {
        var bytes = new WireBuilder().CString(tag).ToArray();
        foreach (var (name, sequence) in Sequences.AllSplits(bytes))
        {
            Assert.True(expected == BackendMessages.ReadCommandCompleteCount(sequence), name);
        }
    }

    [Fact]
    public void Text_data_row_yields_values_and_nulls_in_any_split()
    {
        var bytes = new WireBuilder().Int16(3).Int32(2).Bytes(0x34, 0x32).Int32(-1).Int32(3).Bytes(0xC3, 0xA9, 0x21).ToArray();
        foreach (var (name, sequence) in Sequences.AllSplits(bytes))
        {
            Assert.True(new string?[] { "42", null, "\u00e9!" }.SequenceEqual(BackendMessages.ReadTextDataRow(sequence)), name);
        }
    }

    [Theory]
    [InlineData(new byte[] { 0, 1, 0, 0, 0, 5, 0x41 })] // value longer than the message
    [InlineData(new byte[] { 0, 1, 0, 0, 0, 1, 0xFF })] // not UTF-8
    [InlineData(new byte[] { 0, 2, 0, 0, 0, 0 })]       // a column missing
    [InlineData(new byte[] { 0, 1, 0xFF, 0xFF, 0xFF, 0xFE })] // negative length other than -1
    public void Text_data_row_that_does_not_add_up_is_08P01(byte[] payload)
    {
        var e = Assert.Throws<PgProtocolException>(() => BackendMessages.ReadTextDataRow(new ReadOnlySequence<byte>(payload)));
        Assert.Equal("08P01", e.SqlState);
    }

    [Fact]
    public void Authentication_md5_yields_its_four_byte_salt()
    {
        var request = BackendMessages.ReadAuthentication(Payload(new WireBuilder().Int32(5).Bytes(0xDE, 0xAD, 0xBE, 0xEF)));

        Assert.Equal(5, request.Type);
        Assert.Equal([0xDE, 0xAD, 0xBE, 0xEF], request.Data);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    public void Authentication_md5_with_a_salt_of_the_wrong_size_is_rejected_with_08P01(int saltLength)
    {
        AssertViolation(() => BackendMessages.ReadAuthentication(Payload(new WireBuilder().Int32(5).Bytes(new byte[saltLength]))));
    }

    [Fact]
    public void Authentication_sasl_yields_the_mechanisms_in_order()
    {
        var payload = Payload(new WireBuilder().Int32(10).CString("SCRAM-SHA-256-PLUS").CString("SCRAM-SHA-256").Byte(0));

        var request = BackendMessages.ReadAuthentication(payload);

        Assert.Equal(10, request.Type);
        Assert.Equal(["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"], request.SaslMechanisms);
    }

    [Fact]
    public void Authentication_sasl_without_the_list_terminator_is_rejected_with_08P01()
    {
        AssertViolation(() => BackendMessages.ReadAuthentication(Payload(new WireBuilder().Int32(10).CString("SCRAM-SHA-256"))));
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(8)]
    public void Authentication_sasl_continue_final_and_unknown_types_keep_their_data(int type)
    {
        var request = BackendMessages.ReadAuthentication(Payload(new WireBuilder().Int32(type).Bytes("r=abc,s=x,i=1"u8.ToArray())));

        Assert.Equal(type, request.Type);
        Assert.Equal("r=abc,s=x,i=1"u8.ToArray(), request.Data);
    }

    [Fact]
    public void Authentication_shorter_than_its_type_is_rejected_with_08P01()
    {
        AssertViolation(() => BackendMessages.ReadAuthentication(Payload(new WireBuilder().Int16(0))));
    }

    [Fact]
    public void Error_fields_are_read_by_code()
    {
        var payload = Payload(new WireBuilder()
            .Byte((byte)'S').CString("FATAL").Byte((byte)'C').CString("28P01").Byte((byte)'M').CString("password authentication failed").Byte(0));

        var fields = BackendMessages.ReadErrorOrNotice(payload);

        Assert.Equal(new Dictionary<char, string> { ['S'] = "FATAL", ['C'] = "28P01", ['M'] = "password authentication failed" }, fields);
    }

    [Fact]
    public void Error_text_in_another_encoding_is_kept_with_a_replacement_character()
    {
        var fields = BackendMessages.ReadErrorOrNotice(Payload(new WireBuilder().Byte((byte)'M').Bytes(0x66, 0xE9, 0).Byte(0)));

        Assert.Equal("f\uFFFD", fields['M']);
    }

    [Fact]
    public void Error_without_the_final_zero_byte_is_rejected_with_08P01()
    {
        AssertViolation(() => BackendMessages.ReadErrorOrNotice(Payload(new WireBuilder().Byte((byte)'M').CString("boom"))));
    }

    [Fact]
    public void Error_with_a_repeated_field_is_rejected_with_08P01()
    {
        AssertViolation(() => BackendMessages.ReadErrorOrNotice(Payload(new WireBuilder().Byte((byte)'M').CString("a").Byte((byte)'M').CString("b").Byte(0))));
    }

    [Fact]
    public void Parameter_status_yields_name_and_value()
    {
        Assert.Equal(("server_version", "17.2"), BackendMessages.ReadParameterStatus(Payload(new WireBuilder().CString("server_version").CString("17.2"))));
    }

    [Fact]
    public void Parameter_status_without_its_value_is_rejected_with_08P01()
    {
        AssertViolation(() => BackendMessages.ReadParameterStatus(Payload(new WireBuilder().CString("server_version"))));
    }

    [Fact]
    public void Backend_key_data_yields_process_id_and_key()
    {
        Assert.Equal((77, -1), BackendMessages.ReadBackendKeyData(Payload(new WireBuilder().Int32(77).Int32(-1))));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(12)]
    public void Backend_key_data_of_the_wrong_size_is_rejected_with_08P01(int length)
    {
        AssertViolation(() => BackendMessages.ReadBackendKeyData(Payload(new WireBuilder().Bytes(new byte[length]))));
    }

    [Theory]
    [InlineData('I')]
    [InlineData('T')]
    [InlineData('E')]
    public void Ready_for_query_yields_the_transaction_status(char status)
    {
        Assert.Equal((byte)status, BackendMessages.ReadReadyForQuery(Payload(new WireBuilder().Byte((byte)status))));
    }

    [Fact]
    public void Ready_for_query_with_an_unknown_status_is_rejected_with_08P01()
    {
        AssertViolation(() => BackendMessages.ReadReadyForQuery(Payload(new WireBuilder().Byte((byte)'X'))));
    }

    [Fact]
    public void Ready_for_query_with_extra_bytes_is_rejected_with_08P01()
    {
        AssertViolation(() => BackendMessages.ReadReadyForQuery(Payload(new WireBuilder().Byte((byte)'I').Byte((byte)'I'))));
    }

    private static ReadOnlySequence<byte> Payload(WireBuilder builder) => new(builder.ToArray());

    private static void AssertViolation(Action read)
    {
        var exception = Assert.Throws<PgProtocolException>(read);
        Assert.Equal("08P01", exception.SqlState);
    }
}
