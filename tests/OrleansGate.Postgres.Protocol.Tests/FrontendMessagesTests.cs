using System.Buffers;

namespace OrleansGate.Postgres.Protocol.Tests;

public sealed class FrontendMessagesTests
{
    [Fact]
    public void Query_yields_its_sql()
    {
        Assert.Equal("SELECT 'é'; DELETE FROM t", FrontendMessages.ReadQuery(Payload(new WireBuilder().CString("SELECT 'é'; DELETE FROM t"))));
    }

    [Fact]
    public void Query_split_across_segments_yields_the_same_sql()
    {
        var bytes = new WireBuilder().CString("SELECT 'é'").ToArray();
        foreach (var (_, sequence) in Sequences.AllSplits(bytes))
        {
            Assert.Equal("SELECT 'é'", FrontendMessages.ReadQuery(sequence));
        }
    }

    [Fact]
    public void Query_without_NUL_terminator_is_rejected_with_08P01()
    {
        AssertViolation(() => FrontendMessages.ReadQuery(Payload(new WireBuilder().Bytes("SELECT 1"u8.ToArray()))));
    }

    [Fact]
    public void Query_with_trailing_bytes_is_rejected_with_08P01()
    {
        // A second string after the NUL would be invisible to a reader that stops at the first one.
        AssertViolation(() => FrontendMessages.ReadQuery(Payload(new WireBuilder().CString("SELECT 1").CString("DROP TABLE t"))));
    }

    [Fact]
    public void Query_with_invalid_UTF8_is_rejected_with_08P01()
    {
        AssertViolation(() => FrontendMessages.ReadQuery(Payload(new WireBuilder().Bytes(0x53, 0xFF, 0))));
    }

    [Fact]
    public void Parse_yields_name_sql_and_parameter_types()
    {
        var payload = Payload(new WireBuilder().CString("s1").CString("SELECT $1, $2").Int16(2).Int32(23).Int32(unchecked((int)0xFFFFFFF0)));

        var parse = FrontendMessages.ReadParse(payload);

        Assert.Equal("s1", parse.StatementName);
        Assert.Equal("SELECT $1, $2", parse.Sql);
        Assert.Equal([23, unchecked((int)0xFFFFFFF0)], parse.ParameterTypeOids);
    }

    [Fact]
    public void Parse_with_a_type_count_beyond_the_payload_is_rejected_with_08P01()
    {
        AssertViolation(() => FrontendMessages.ReadParse(Payload(new WireBuilder().CString("").CString("SELECT $1").Int16(3).Int32(23))));
    }

    [Fact]
    public void Parse_with_trailing_bytes_is_rejected_with_08P01()
    {
        AssertViolation(() => FrontendMessages.ReadParse(Payload(new WireBuilder().CString("").CString("SELECT 1").Int16(0).Byte(0))));
    }

    [Fact]
    public void Parse_with_the_largest_unsigned_type_count_is_checked_against_the_payload()
    {
        // 0xFFFF is 65535 types to PostgreSQL, not -1; there are not that many here.
        AssertViolation(() => FrontendMessages.ReadParse(Payload(new WireBuilder().CString("").CString("SELECT 1").Int16(-1))));
    }

    [Fact]
    public void Password_yields_the_cleartext()
    {
        Assert.Equal("eyJhbGciOi.x.y", FrontendMessages.ReadPassword(Payload(new WireBuilder().CString("eyJhbGciOi.x.y"))));
    }

    [Fact]
    public void Password_without_NUL_terminator_is_rejected_with_08P01()
    {
        AssertViolation(() => FrontendMessages.ReadPassword(Payload(new WireBuilder().Bytes("token"u8.ToArray()))));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public void Bind_accepts_zero_one_or_one_format_per_parameter(short formatCount)
    {
        var builder = new WireBuilder().CString("p1").CString("s1").Int16(formatCount);
        for (var i = 0; i < formatCount; i++)
        {
            builder.Int16(1);
        }

        builder.Int16(3).Int32(2).Bytes(0x34, 0x32).Int32(-1).Int32(0).Int16(2).Int16(0).Int16(1);

        var bind = FrontendMessages.ReadBind(Payload(builder));

        Assert.Equal("p1", bind.PortalName);
        Assert.Equal("s1", bind.StatementName);
        Assert.Equal(3, bind.ParameterCount);
        Assert.Equal([(short)0, (short)1], bind.ResultFormatCodes);
    }

    [Fact]
    public void Bind_split_across_segments_reads_the_same()
    {
        var bytes = new WireBuilder().CString("").CString("s1").Int16(0).Int16(1).Int32(3).Bytes(1, 2, 3).Int16(1).Int16(0).ToArray();
        foreach (var (_, sequence) in Sequences.AllSplits(bytes))
        {
            var bind = FrontendMessages.ReadBind(sequence);
            Assert.Equal(("", "s1", 1), (bind.PortalName, bind.StatementName, bind.ParameterCount));
            Assert.Equal([(short)0], bind.ResultFormatCodes);
        }
    }

    [Fact]
    public void Bind_with_two_formats_for_three_parameters_is_rejected_with_08P01()
    {
        var builder = new WireBuilder().CString("").CString("").Int16(2).Int16(0).Int16(0)
            .Int16(3).Int32(-1).Int32(-1).Int32(-1).Int16(0);

        AssertViolation(() => FrontendMessages.ReadBind(Payload(builder)));
    }

    [Fact]
    public void Bind_with_a_format_code_other_than_0_or_1_is_rejected_with_08P01()
    {
        var builder = new WireBuilder().CString("").CString("").Int16(0).Int16(0).Int16(1).Int16(2);

        AssertViolation(() => FrontendMessages.ReadBind(Payload(builder)));
    }

    [Theory]
    [InlineData(-2)]
    [InlineData(int.MinValue)]
    public void Bind_with_a_negative_value_length_other_than_minus_one_is_rejected_with_08P01(int length)
    {
        var builder = new WireBuilder().CString("").CString("").Int16(0).Int16(1).Int32(length).Int16(0);

        AssertViolation(() => FrontendMessages.ReadBind(Payload(builder)));
    }

    [Theory]
    [InlineData(5)]
    [InlineData(int.MaxValue)]
    public void Bind_with_a_value_longer_than_the_payload_is_rejected_with_08P01(int length)
    {
        var builder = new WireBuilder().CString("").CString("").Int16(0).Int16(1).Int32(length).Bytes(1, 2, 3).Int16(0);

        AssertViolation(() => FrontendMessages.ReadBind(Payload(builder)));
    }

    [Fact]
    public void Bind_with_more_parameters_than_the_payload_holds_is_rejected_with_08P01()
    {
        var builder = new WireBuilder().CString("").CString("").Int16(0).Int16(-1).Int32(-1).Int16(0);

        AssertViolation(() => FrontendMessages.ReadBind(Payload(builder)));
    }

    [Fact]
    public void Bind_with_a_result_format_count_beyond_the_payload_is_rejected_with_08P01()
    {
        var builder = new WireBuilder().CString("").CString("").Int16(0).Int16(0).Int16(4).Int16(0);

        AssertViolation(() => FrontendMessages.ReadBind(Payload(builder)));
    }

    [Fact]
    public void Bind_with_trailing_bytes_is_rejected_with_08P01()
    {
        var builder = new WireBuilder().CString("").CString("").Int16(0).Int16(0).Int16(0).Byte(0);

        AssertViolation(() => FrontendMessages.ReadBind(Payload(builder)));
    }

    [Fact]
    public void Bind_missing_its_result_format_count_is_rejected_with_08P01()
    {
        AssertViolation(() => FrontendMessages.ReadBind(Payload(new WireBuilder().CString("").CString("").Int16(0).Int16(0))));
    }

    [Theory]
    [InlineData('S', "s1")]
    [InlineData('P', "")]
    public void Describe_or_close_yields_kind_and_name(char kind, string name)
    {
        var (readKind, readName) = FrontendMessages.ReadDescribeOrClose(Payload(new WireBuilder().Byte((byte)kind).CString(name)));

        Assert.Equal((byte)kind, readKind);
        Assert.Equal(name, readName);
    }

    [Fact]
    public void Describe_with_an_unknown_kind_is_rejected_with_08P01()
    {
        AssertViolation(() => FrontendMessages.ReadDescribeOrClose(Payload(new WireBuilder().Byte((byte)'X').CString("s1"))));
    }

    [Fact]
    public void Describe_without_a_name_is_rejected_with_08P01()
    {
        AssertViolation(() => FrontendMessages.ReadDescribeOrClose(Payload(new WireBuilder().Byte((byte)'S'))));
    }

    [Fact]
    public void Execute_yields_portal_and_row_limit()
    {
        Assert.Equal(("p1", 100), FrontendMessages.ReadExecute(Payload(new WireBuilder().CString("p1").Int32(100))));
    }

    [Fact]
    public void Execute_without_its_row_limit_is_rejected_with_08P01()
    {
        AssertViolation(() => FrontendMessages.ReadExecute(Payload(new WireBuilder().CString("p1").Int16(0))));
    }

    private static ReadOnlySequence<byte> Payload(WireBuilder builder) => new(builder.ToArray());

    private static void AssertViolation(Action read)
    {
        var exception = Assert.Throws<PgProtocolException>(read);
        Assert.Equal("08P01", exception.SqlState);
    }
}
