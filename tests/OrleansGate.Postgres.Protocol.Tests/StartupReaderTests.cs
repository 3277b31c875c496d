using System.Buffers;

namespace OrleansGate.Postgres.Protocol.Tests;

public sealed class StartupReaderTests
{
    public static TheoryData<string> Samples => ["startup", "ssl", "gss", "cancel"];

    [Theory]
    [MemberData(nameof(Samples))]
    public void Every_prefix_of_a_packet_is_incomplete_with_consumed_at_start_and_examined_at_end(string sample)
    {
        var bytes = Sample(sample);
        for (var length = 0; length < bytes.Length; length++)
        {
            AssertIncomplete(new ReadOnlySequence<byte>(bytes, 0, length));
        }
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Packet_split_across_segments_reads_the_same_and_its_prefixes_are_incomplete(string sample)
    {
        var bytes = Sample(sample);
        var expected = ReadWhole(new ReadOnlySequence<byte>(bytes), bytes.Length);
        foreach (var (name, sequence) in Sequences.AllSplits(bytes))
        {
            var packet = ReadWhole(sequence, bytes.Length);
            Assert.True(expected.Kind == packet.Kind, name);
            Assert.Equal(expected.ProtocolVersion, packet.ProtocolVersion);
            Assert.Equal(expected.Parameters, packet.Parameters);
            Assert.Equal(expected.CancelProcessId, packet.CancelProcessId);
            Assert.Equal(expected.CancelSecretKey, packet.CancelSecretKey);
            for (var length = 0; length < bytes.Length; length++)
            {
                AssertIncomplete(sequence.Slice(0, length));
            }
        }
    }

    [Fact]
    public void StartupMessage_yields_protocol_3_0_and_its_parameters()
    {
        var packet = ReadWhole(new ReadOnlySequence<byte>(Sample("startup")), Sample("startup").Length);

        Assert.Equal(StartupPacketKind.StartupMessage, packet.Kind);
        Assert.Equal(196608, packet.ProtocolVersion);
        Assert.Equal(3, packet.MajorVersion);
        Assert.Equal(0, packet.MinorVersion);
        Assert.Equal(
            new Dictionary<string, string> { ["user"] = "agent-7", ["database"] = "orders", ["application_name"] = "psql ✓" },
            packet.Parameters);
    }

    [Fact]
    public void Higher_minor_version_is_accepted_and_recorded()
    {
        var bytes = new WireBuilder().Int32((3 << 16) | 2).CString("user").CString("a").CString("_pq_.x").CString("1").Byte(0).ToStartupPacket();

        var packet = ReadWhole(new ReadOnlySequence<byte>(bytes), bytes.Length);

        Assert.Equal(2, packet.MinorVersion);
        Assert.Equal("1", packet.Parameters["_pq_.x"]);
    }

    [Theory]
    [InlineData(2, 0)]
    [InlineData(4, 0)]
    [InlineData(1234, 1)]
    public void Protocol_other_than_3_is_rejected_with_08P01(int major, int minor)
    {
        var bytes = new WireBuilder().Int32((major << 16) | minor).CString("user").CString("a").Byte(0).ToStartupPacket();

        AssertRejected(bytes);
    }

    [Fact]
    public void SslRequest_GssEncRequest_and_CancelRequest_are_recognised()
    {
        var ssl = ReadWhole(new ReadOnlySequence<byte>(Sample("ssl")), 8);
        var gss = ReadWhole(new ReadOnlySequence<byte>(Sample("gss")), 8);
        var cancel = ReadWhole(new ReadOnlySequence<byte>(Sample("cancel")), 16);

        Assert.Equal(StartupPacketKind.SslRequest, ssl.Kind);
        Assert.Empty(ssl.Parameters);
        Assert.Equal(StartupPacketKind.GssEncRequest, gss.Kind);
        Assert.Equal(StartupPacketKind.CancelRequest, cancel.Kind);
        Assert.Equal(4242, cancel.CancelProcessId);
        Assert.Equal(-559038737, cancel.CancelSecretKey);
        Assert.Empty(cancel.Parameters);
    }

    [Fact]
    public void SslRequest_then_StartupMessage_back_to_back_are_read_one_at_a_time()
    {
        byte[] both = [.. Sample("ssl"), .. Sample("startup")];
        foreach (var (_, buffer) in Sequences.AllSplits(both))
        {
            Assert.True(StartupReader.TryRead(buffer, out var first, out var consumed, out var examined));
            Assert.Equal(StartupPacketKind.SslRequest, first.Kind);
            Assert.Equal(8, buffer.Offset(consumed));
            Assert.Equal(consumed, examined);

            Assert.True(StartupReader.TryRead(buffer.Slice(consumed), out var second, out consumed, out examined));
            Assert.Equal(StartupPacketKind.StartupMessage, second.Kind);
            Assert.Equal(both.Length, buffer.Offset(consumed));
            Assert.Equal(consumed, examined);
        }
    }

    [Theory]
    [InlineData(StartupReader.SslRequestCode, 12)]
    [InlineData(StartupReader.GssEncRequestCode, 12)]
    [InlineData(StartupReader.CancelRequestCode, 8)]
    [InlineData(StartupReader.CancelRequestCode, 12)]
    [InlineData(StartupReader.CancelRequestCode, 20)]
    public void Request_of_the_wrong_size_is_rejected_with_08P01_before_its_body_arrives(int code, int length)
    {
        // Only the length and the code: the size is known to be wrong already.
        var header = new WireBuilder().Int32(length).Int32(code).ToArray();

        AssertRejected(header);
    }

    [Theory]
    [InlineData(StartupReader.SslRequestCode, 8)]
    [InlineData(StartupReader.GssEncRequestCode, 8)]
    [InlineData(StartupReader.CancelRequestCode, 16)]
    public void Request_of_the_exact_size_is_accepted(int code, int length)
    {
        var bytes = new WireBuilder().Int32(length).Int32(code).Bytes(new byte[length - 8]).ToArray();

        Assert.True(StartupReader.TryRead(new ReadOnlySequence<byte>(bytes), out _, out _, out _));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(7)]
    [InlineData(10_001)]
    [InlineData(int.MaxValue)]
    public void Length_outside_8_to_10000_is_rejected_with_08P01_from_the_length_field_alone(int length)
    {
        var header = new WireBuilder().Int32(length).ToArray();

        foreach (var (_, buffer) in Sequences.AllSplits(header))
        {
            var exception = Assert.Throws<PgProtocolException>(() => StartupReader.TryRead(buffer, out _, out _, out _));
            Assert.Equal("08P01", exception.SqlState);
        }
    }

    [Fact]
    public void Length_of_10000_waits_for_the_body()
    {
        var header = new WireBuilder().Int32(10_000).Int32(StartupReader.ProtocolVersion3).ToArray();

        AssertIncomplete(new ReadOnlySequence<byte>(header));
    }

    [Fact]
    public void Missing_user_is_rejected_with_08P01()
    {
        AssertRejected(Startup(("database", "orders")));
    }

    [Fact]
    public void Empty_user_is_rejected_with_08P01()
    {
        AssertRejected(Startup(("user", ""), ("database", "orders")));
    }

    [Fact]
    public void Duplicate_keys_are_rejected_with_08P01()
    {
        AssertRejected(Startup(("user", "agent"), ("database", "orders"), ("user", "postgres")));
    }

    [Fact]
    public void Missing_final_terminator_is_rejected_with_08P01()
    {
        var bytes = new WireBuilder().Int32(StartupReader.ProtocolVersion3).CString("user").CString("agent").ToStartupPacket();

        AssertRejected(bytes);
    }

    [Fact]
    public void Empty_parameter_list_is_rejected_with_08P01()
    {
        AssertRejected(new WireBuilder().Int32(StartupReader.ProtocolVersion3).ToStartupPacket());
    }

    [Fact]
    public void Value_without_its_NUL_is_rejected_with_08P01()
    {
        var bytes = new WireBuilder().Int32(StartupReader.ProtocolVersion3).CString("user").Bytes("agent"u8.ToArray()).ToStartupPacket();

        AssertRejected(bytes);
    }

    [Fact]
    public void Bytes_after_the_terminator_are_rejected_with_08P01()
    {
        var bytes = new WireBuilder().Int32(StartupReader.ProtocolVersion3).CString("user").CString("agent").Byte(0).Byte(0).ToStartupPacket();

        AssertRejected(bytes);
    }

    [Fact]
    public void Non_UTF8_parameter_is_rejected_with_08P01()
    {
        var bytes = new WireBuilder().Int32(StartupReader.ProtocolVersion3).CString("user").Bytes(0x61, 0xC3, 0x28, 0).Byte(0).ToStartupPacket();

        AssertRejected(bytes);
    }

    private static byte[] Sample(string name) => name switch
    {
        "startup" => Startup(("user", "agent-7"), ("database", "orders"), ("application_name", "psql ✓")),
        "ssl" => new WireBuilder().Int32(8).Int32(80877103).ToArray(),
        "gss" => new WireBuilder().Int32(8).Int32(80877104).ToArray(),
        "cancel" => new WireBuilder().Int32(16).Int32(80877102).Int32(4242).Int32(unchecked((int)0xDEADBEEF)).ToArray(),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static byte[] Startup(params (string Name, string Value)[] parameters)
    {
        var builder = new WireBuilder().Int32(196608);
        foreach (var (name, value) in parameters)
        {
            builder.CString(name).CString(value);
        }

        return builder.Byte(0).ToStartupPacket();
    }

    private static StartupPacket ReadWhole(ReadOnlySequence<byte> buffer, int length)
    {
        Assert.True(StartupReader.TryRead(buffer, out var packet, out var consumed, out var examined));
        Assert.Equal(length, buffer.Offset(consumed));
        Assert.Equal(consumed, examined);
        return packet;
    }

    private static void AssertIncomplete(ReadOnlySequence<byte> buffer)
    {
        Assert.False(StartupReader.TryRead(buffer, out _, out var consumed, out var examined));
        Assert.Equal(buffer.Start, consumed);
        Assert.Equal(buffer.End, examined);
    }

    private static void AssertRejected(byte[] bytes)
    {
        var exception = Assert.Throws<PgProtocolException>(() => StartupReader.TryRead(new ReadOnlySequence<byte>(bytes), out _, out _, out _));
        Assert.Equal("08P01", exception.SqlState);
    }
}
