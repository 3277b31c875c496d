using System.Buffers;

namespace OrleansGate.Postgres.Protocol.Tests;

public sealed class MessageFramerTests
{
    private const int Cap = 1 << 20;

    public static TheoryData<string> Samples => ["query", "sync", "bind"];

    [Theory]
    [MemberData(nameof(Samples))]
    public void Every_prefix_of_a_message_is_incomplete_with_consumed_at_start_and_examined_at_end(string sample)
    {
        var (bytes, _, _) = Sample(sample);
        for (var length = 0; length < bytes.Length; length++)
        {
            AssertIncomplete(new ReadOnlySequence<byte>(bytes, 0, length));
        }
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Whole_message_in_one_segment_is_read_with_consumed_and_examined_at_its_end(string sample)
    {
        var (bytes, code, payload) = Sample(sample);
        AssertComplete(new ReadOnlySequence<byte>(bytes), bytes, code, payload);
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Message_split_across_segments_reads_the_same_and_its_prefixes_are_incomplete(string sample)
    {
        var (bytes, code, payload) = Sample(sample);
        foreach (var (name, sequence) in Sequences.AllSplits(bytes))
        {
            Assert.True(sequence.Length == bytes.Length, name);
            AssertComplete(sequence, bytes, code, payload);
            for (var length = 0; length < bytes.Length; length++)
            {
                AssertIncomplete(sequence.Slice(0, length));
            }
        }
    }

    [Fact]
    public void Two_messages_back_to_back_are_read_one_at_a_time()
    {
        var query = new WireBuilder().CString("SELECT 1").ToMessage('Q');
        var sync = new WireBuilder().ToMessage('S');
        byte[] both = [.. query, .. sync];

        foreach (var (_, buffer) in Sequences.AllSplits(both))
        {
            Assert.True(MessageFramer.TryRead(buffer, Cap, out var first, out var consumed, out var examined));
            Assert.Equal((byte)'Q', first.Code);
            Assert.Equal(query, first.Raw.ToArray());
            Assert.Equal(query.Length, buffer.Offset(consumed));
            Assert.Equal(consumed, examined);

            var rest = buffer.Slice(consumed);
            Assert.True(MessageFramer.TryRead(rest, Cap, out var second, out consumed, out examined));
            Assert.Equal((byte)'S', second.Code);
            Assert.Equal(4, second.Length);
            Assert.True(second.Payload.IsEmpty);
            Assert.Equal(both.Length, buffer.Offset(consumed));
            Assert.Equal(consumed, examined);

            AssertIncomplete(buffer.Slice(consumed));
        }
    }

    [Fact]
    public void Only_the_first_message_is_consumed_when_the_second_is_partial()
    {
        var query = new WireBuilder().CString("SELECT 1").ToMessage('Q');
        byte[] bytes = [.. query, (byte)'S', 0, 0];
        var buffer = new ReadOnlySequence<byte>(bytes);

        Assert.True(MessageFramer.TryRead(buffer, Cap, out _, out var consumed, out _));
        Assert.Equal(query.Length, buffer.Offset(consumed));
        AssertIncomplete(buffer.Slice(consumed));
    }

    [Fact]
    public void Payload_and_raw_are_slices_of_the_input_not_copies()
    {
        var bytes = new WireBuilder().CString("SELECT 1").ToMessage('Q');
        var buffer = new ReadOnlySequence<byte>(bytes);

        Assert.True(MessageFramer.TryRead(buffer, Cap, out var message, out _, out _));

        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(message.Raw.First, out var raw));
        Assert.Same(bytes, raw.Array);
        Assert.Equal(0, raw.Offset);
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(message.Payload.First, out var payload));
        Assert.Same(bytes, payload.Array);
        Assert.Equal(5, payload.Offset);
    }

    [Fact]
    public void Framing_allocates_nothing_per_message()
    {
        var bytes = new WireBuilder().CString("SELECT 1").ToMessage('Q');
        var buffer = Sequences.Split(bytes, 3, 7);
        MessageFramer.TryRead(buffer, Cap, out _, out _, out _);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            MessageFramer.TryRead(buffer, Cap, out _, out _, out _);
            MessageFramer.TryRead(buffer.Slice(0, 9), Cap, out _, out _, out _);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Length_under_four_is_rejected_with_08P01(int length)
    {
        var header = new WireBuilder().Byte((byte)'Q').Int32(length).ToArray();

        var exception = Assert.Throws<PgProtocolException>(() => MessageFramer.TryRead(new ReadOnlySequence<byte>(header), Cap, out _, out _, out _));

        Assert.Equal("08P01", exception.SqlState);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void Negative_length_is_rejected_with_08P01(int length)
    {
        var header = new WireBuilder().Byte((byte)'Q').Int32(length).ToArray();

        var exception = Assert.Throws<PgProtocolException>(() => MessageFramer.TryRead(new ReadOnlySequence<byte>(header), Cap, out _, out _, out _));

        Assert.Equal("08P01", exception.SqlState);
    }

    [Theory]
    [InlineData(Cap + 1)]
    [InlineData(int.MaxValue)]
    public void Length_over_cap_is_rejected_with_08P01_before_the_body_arrives(int length)
    {
        // Only the code byte and the length field: the framer must not wait for (or allocate) the body.
        var header = new WireBuilder().Byte((byte)'Q').Int32(length).ToArray();

        foreach (var (_, buffer) in Sequences.AllSplits(header))
        {
            var exception = Assert.Throws<PgProtocolException>(() => MessageFramer.TryRead(buffer, Cap, out _, out _, out _));
            Assert.Equal("08P01", exception.SqlState);
        }
    }

    [Fact]
    public void Length_equal_to_cap_is_accepted()
    {
        var bytes = new WireBuilder().Bytes(new byte[60]).ToMessage('d');

        Assert.True(MessageFramer.TryRead(new ReadOnlySequence<byte>(bytes), 64, out var message, out _, out _));

        Assert.Equal(64, message.Length);
        Assert.Throws<PgProtocolException>(() => MessageFramer.TryRead(new ReadOnlySequence<byte>(bytes), 63, out _, out _, out _));
    }

    [Fact]
    public void Rejection_message_does_not_echo_payload_bytes()
    {
        var header = new WireBuilder().Byte((byte)'Q').Int32(2).CString("secret-token").ToArray();

        var exception = Assert.Throws<PgProtocolException>(() => MessageFramer.TryRead(new ReadOnlySequence<byte>(header), Cap, out _, out _, out _));

        Assert.DoesNotContain("secret", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cap_under_four_is_a_caller_error()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MessageFramer.TryRead(ReadOnlySequence<byte>.Empty, 3, out _, out _, out _));
    }

    private static (byte[] Bytes, byte Code, byte[] Payload) Sample(string name)
    {
        var payload = name switch
        {
            "query" => new WireBuilder().CString("SELECT * FROM orders WHERE id = 1"),
            "sync" => new WireBuilder(),
            "bind" => new WireBuilder().CString("").CString("s1").Int16(1).Int16(0).Int16(1).Int32(2).Bytes(0x34, 0x32).Int16(0),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
        var code = name switch { "query" => 'Q', "sync" => 'S', _ => 'B' };
        return (payload.ToMessage(code), (byte)code, payload.ToArray());
    }

    private static void AssertIncomplete(ReadOnlySequence<byte> buffer)
    {
        Assert.False(MessageFramer.TryRead(buffer, Cap, out _, out var consumed, out var examined));
        Assert.Equal(buffer.Start, consumed);
        Assert.Equal(buffer.End, examined);
    }

    private static void AssertComplete(ReadOnlySequence<byte> buffer, byte[] bytes, byte code, byte[] payload)
    {
        Assert.True(MessageFramer.TryRead(buffer, Cap, out var message, out var consumed, out var examined));
        Assert.Equal(code, message.Code);
        Assert.Equal(bytes.Length - 1, message.Length);
        Assert.Equal(payload, message.Payload.ToArray());
        Assert.Equal(bytes, message.Raw.ToArray());
        Assert.Equal(bytes.Length, buffer.Offset(consumed));
        Assert.Equal(consumed, examined);
        Assert.Equal(buffer.End, buffer.GetPosition(0, consumed));
    }
}
