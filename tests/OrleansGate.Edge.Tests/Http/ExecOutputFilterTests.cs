using System.Buffers.Binary;
using System.Text;
using OrleansGate.Edge.Http;
using OrleansGate.Policy.Masking;

namespace OrleansGate.Edge.Tests.Http;

public sealed class ExecOutputFilterTests
{
    private const byte Binary = 0x2, Text = 0x1, Continuation = 0x0, Close = 0x8, Ping = 0x9;
    private const string AwsKey = "AKIAIOSFODNN7EXAMPLE";

    private static readonly ExecDetectors Detectors = new([DetectorSet.Create(["email", "aws_access_key"], new Dictionary<string, string>())]);

    /// <summary>A frame as a server writes it (unmasked unless <paramref name="mask"/>), in the shortest length encoding.</summary>
    private static byte[] Frame(byte opcode, byte[] payload, bool fin = true, bool mask = false, int reserved = 0)
    {
        var header = new List<byte> { (byte)((fin ? 0x80 : 0) | (reserved << 4) | opcode) };
        var maskBit = mask ? 0x80 : 0;
        if (payload.Length <= 125)
        {
            header.Add((byte)(maskBit | payload.Length));
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            header.AddRange([(byte)(maskBit | 126), (byte)(payload.Length >> 8), (byte)payload.Length]);
        }
        else
        {
            var length = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(length, (ulong)payload.Length);
            header.Add((byte)(maskBit | 127));
            header.AddRange(length);
        }

        if (mask)
        {
            header.AddRange([0, 0, 0, 0]); // a zero key leaves the payload as it is
        }

        return [.. header, .. payload];
    }

    private static byte[] Channel(byte channel, string text) => [channel, .. Encoding.UTF8.GetBytes(text)];

    private static byte[] Stdout(string text) => Frame(Binary, Channel(1, text));

    /// <summary>The frames of <paramref name="bytes"/> as (opcode, payload), asserting each is final and unmasked.</summary>
    private static List<(byte Opcode, byte[] Payload, int HeaderLength)> Frames(byte[] bytes)
    {
        var frames = new List<(byte, byte[], int)>();
        var at = 0;
        while (at < bytes.Length)
        {
            Assert.Equal(0x80, bytes[at] & 0xF0); // FIN, no reserved bits
            Assert.Equal(0, bytes[at + 1] & 0x80); // not masked
            var (length, header) = (bytes[at + 1] & 0x7F) switch
            {
                126 => ((long)BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(at + 2)), 4),
                127 => ((long)BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(at + 2)), 10),
                var l => (l, 2),
            };
            frames.Add(((byte)(bytes[at] & 0x0F), bytes.AsSpan(at + header, (int)length).ToArray(), header));
            at += header + (int)length;
        }

        return frames;
    }

    private static async Task<(byte[] Output, ExecOutputFilter Filter)> RunAsync(params byte[][] writes)
    {
        var inner = new MemoryStream();
        var filter = new ExecOutputFilter(inner, Detectors);
        foreach (var write in writes)
        {
            await filter.WriteAsync(write);
        }

        return (inner.ToArray(), filter);
    }

    [Fact]
    public async Task An_email_in_stdout_is_replaced_and_the_frame_length_rewritten()
    {
        var (output, filter) = await RunAsync(Stdout("mail alice@example.com now\n"));

        var frame = Assert.Single(Frames(output));
        Assert.Equal((Binary, "\u0001mail [email] now\n"), (frame.Opcode, Encoding.UTF8.GetString(frame.Payload)));
        Assert.Equal(1, filter.ValuesMasked);
    }

    [Fact]
    public async Task An_aws_key_in_stderr_is_replaced()
    {
        var (output, filter) = await RunAsync(Frame(Binary, Channel(2, $"key={AwsKey} and bob@example.org")));

        Assert.Equal("\u0002key=[aws_access_key] and [email]", Encoding.UTF8.GetString(Assert.Single(Frames(output)).Payload));
        Assert.Equal(2, filter.ValuesMasked);
    }

    [Fact]
    public async Task The_error_channel_stdin_and_control_frames_pass_as_they_came()
    {
        byte[][] frames =
        [
            Frame(Binary, Channel(3, "{\"status\":\"Failure\",\"message\":\"alice@example.com\"}")),
            Frame(Binary, Channel(0, "alice@example.com")),
            Frame(Binary, [1]), // stdout with no bytes
            Frame(Binary, []),
            Frame(Ping, Encoding.ASCII.GetBytes("alice@example.com")),
            Frame(Close, [0x03, 0xE8]),
        ];

        var (output, filter) = await RunAsync(frames);

        Assert.Equal(frames.SelectMany(f => f).ToArray(), output);
        Assert.Equal(0, filter.ValuesMasked);
    }

    [Fact]
    public async Task Stdout_without_a_find_is_passed_byte_for_byte()
    {
        var frame = Stdout("hello\n");

        var (output, _) = await RunAsync(frame);

        Assert.Equal(frame, output);
    }

    [Fact]
    public async Task A_frame_split_at_every_position_gives_the_same_output()
    {
        var frames = Stdout("to alice@example.com\n").Concat(Frame(Binary, Channel(3, "{}"))).ToArray();
        var (whole, _) = await RunAsync(frames);

        for (var cut = 1; cut < frames.Length; cut++)
        {
            var (split, _) = await RunAsync(frames[..cut], frames[cut..]);
            Assert.True(whole.AsSpan().SequenceEqual(split), $"cut at {cut}");
        }

        var (byteByByte, filter) = await RunAsync([.. frames.Select(b => new[] { b })]);
        Assert.Equal(whole, byteByByte);
        Assert.Equal(1, filter.ValuesMasked);
    }

    [Fact]
    public async Task Nothing_of_a_frame_is_written_before_the_whole_frame_is_there()
    {
        var frame = Stdout("alice@example.com");
        var inner = new MemoryStream();
        var filter = new ExecOutputFilter(inner, Detectors);

        await filter.WriteAsync(frame.AsMemory(0, frame.Length - 1));

        Assert.Equal(0, inner.Length);
    }

    [Theory]
    [InlineData(125, 2)]
    [InlineData(126, 4)]
    [InlineData(65535, 4)]
    [InlineData(65536, 10)]
    public async Task Payload_lengths_in_each_encoding_are_read_and_pass(int length, int headerLength)
    {
        var frame = Frame(Binary, Channel(1, new string('x', length - 1)));

        var (output, _) = await RunAsync(frame[..3], frame[3..]);

        Assert.Equal(frame, output);
        Assert.Equal(headerLength, Assert.Single(Frames(output)).HeaderLength);
    }

    [Theory]
    [InlineData(130, 1, 2)] // a 16-bit length masked to 123: a 7-bit one
    [InlineData(65540, 1, 4)] // a 64-bit length masked to 65533: a 16-bit one
    [InlineData(125, 8, 4)] // eight 6-character addresses become 7-character markers: 125 grows to 133, a 16-bit length
    public async Task A_masked_frame_gets_the_shortest_length_encoding_of_its_new_length(int length, int emails, int headerLength)
    {
        var find = emails == 1 ? " ab@example.com" : " a@b.de"; // 15 -> 8, or 7 -> 8 with its space
        var text = new string('x', length - 1 - (emails * find.Length)) + string.Concat(Enumerable.Repeat(find, emails));
        var frame = Frame(Binary, Channel(1, text));

        var (output, filter) = await RunAsync(frame);

        var masked = Assert.Single(Frames(output));
        Assert.Equal(headerLength, masked.HeaderLength);
        Assert.EndsWith(string.Concat(Enumerable.Repeat(" [email]", emails)), Encoding.UTF8.GetString(masked.Payload), StringComparison.Ordinal);
        Assert.Equal(emails, filter.ValuesMasked);
    }

    [Fact]
    public async Task Output_that_is_not_utf8_is_kept_byte_for_byte_around_a_find()
    {
        byte[] before = [0xFF, 0xFE, 0x00, 0xC3], after = [0xA9, 0x80, 0x0A];
        var frame = Frame(Binary, [1, .. before, .. Encoding.ASCII.GetBytes(" alice@example.com "), .. after]);

        var (output, filter) = await RunAsync(frame);

        Assert.Equal([1, .. before, .. Encoding.ASCII.GetBytes(" [email] "), .. after], Assert.Single(Frames(output)).Payload);
        Assert.Equal(1, filter.ValuesMasked);
    }

    public static TheoryData<string, byte[]> MalformedFrames => new()
    {
        { "masked", Frame(Binary, Channel(1, "hi"), mask: true) },
        { "reserved bit", Frame(Binary, Channel(1, "hi"), reserved: 4) },
        { "reserved opcode", Frame(0x3, Channel(1, "hi")) },
        { "fragmented start", Frame(Binary, Channel(1, "alice@"), fin: false) },
        { "continuation", Frame(Continuation, Encoding.ASCII.GetBytes("example.com")) },
        { "text message", Frame(Text, Channel(1, "alice@example.com")) },
        { "fragmented ping", Frame(Ping, [], fin: false) },
        { "oversized close", Frame(Close, new byte[126]) },
        { "high bit of a 64-bit length", [0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1, 1] },
        { "over the cap, header only", [0x82, 127, 0, 0, 0, 0, 0, 0x10, 0, 1] },
    };

    [Theory]
    [MemberData(nameof(MalformedFrames))]
    public async Task A_malformed_frame_ends_the_stream_with_a_close_frame_after_the_frames_before_it(string why, byte[] malformed)
    {
        var good = Stdout("ok\n");
        var inner = new MemoryStream();
        var filter = new ExecOutputFilter(inner, Detectors);

        var ended = await Assert.ThrowsAsync<IOException>(async () => await filter.WriteAsync(good.Concat(malformed).Concat(Stdout("late\n")).ToArray()));
        var written = inner.Length;
        await Assert.ThrowsAsync<IOException>(async () => await filter.WriteAsync(Stdout("later\n")));

        var frames = Frames(inner.ToArray());
        Assert.Equal(2, frames.Count);
        Assert.Equal(good, inner.ToArray()[..good.Length]);
        Assert.Equal(Close, frames[1].Opcode);
        Assert.Equal(1008, BinaryPrimitives.ReadUInt16BigEndian(frames[1].Payload));
        Assert.Equal(written, inner.Length); // nothing after the end
        Assert.NotNull(filter.Failure);
        Assert.Contains(filter.Failure!, ended.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(why));
    }

    [Fact]
    public async Task A_frame_over_the_cap_is_refused_before_its_payload_arrives()
    {
        var inner = new MemoryStream();
        var filter = new ExecOutputFilter(inner, Detectors, maxPayload: 1000);

        await Assert.ThrowsAsync<IOException>(async () => await filter.WriteAsync(Frame(Binary, new byte[1001])[..4]));

        Assert.Contains("over the cap of 1000", filter.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reads_pass_through_untouched()
    {
        var filter = new ExecOutputFilter(new MemoryStream([0x82, 0x81, 1, 2, 3, 4, 5]), Detectors);
        var buffer = new byte[16];

        var read = await filter.ReadAsync(buffer);

        Assert.Equal(new byte[] { 0x82, 0x81, 1, 2, 3, 4, 5 }, buffer[..read]);
    }
}
