using System.Buffers;

namespace OrleansGate.Postgres.Protocol.Tests;

/// <summary>
/// Every message type of both directions through the framer and its decoder: every prefix, every split into
/// segments, every truncated payload.
/// </summary>
public sealed class EveryMessageTypeTests
{
    private const int Cap = 1 << 20;

    public static TheoryData<string> AllTypes => MessageCatalog.Names(MessageCatalog.All);

    public static TheoryData<string> DecodedTypes => MessageCatalog.Names(MessageCatalog.All.Where(s => s.Decode is not null));

    /// <summary>Decoded types whose payload has an exact length, so any truncation or extra byte is an error.</summary>
    public static TheoryData<string> ExactTypes => MessageCatalog.Names(MessageCatalog.All.Where(s => s.Decode is not null && !s.OpenEnded));

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void Every_prefix_is_incomplete_and_every_split_frames_the_same_message(string name)
    {
        var sample = MessageCatalog.Named(name);
        var bytes = sample.Framed;
        foreach (var (split, sequence) in Sequences.AllSplits(bytes).Prepend(("one segment", new ReadOnlySequence<byte>(bytes))))
        {
            for (var length = 0; length < bytes.Length; length++)
            {
                var prefix = sequence.Slice(0, length);
                Assert.False(MessageFramer.TryRead(prefix, Cap, out _, out var consumed, out var examined), $"{split}, prefix {length}");
                Assert.Equal(prefix.Start, consumed);
                Assert.Equal(prefix.End, examined);
            }

            Assert.True(MessageFramer.TryRead(sequence, Cap, out var message, out var end, out var seen), split);
            Assert.Equal((byte)sample.Code, message.Code);
            Assert.Equal(sample.Payload, message.Payload.ToArray());
            Assert.Equal(bytes, message.Raw.ToArray());
            Assert.Equal(bytes.Length, sequence.Offset(end));
            Assert.Equal(end, seen);
        }
    }

    [Theory]
    [MemberData(nameof(DecodedTypes))]
    public void Decoding_a_payload_split_across_segments_gives_the_same_result(string name)
    {
        var sample = MessageCatalog.Named(name);
        var expected = sample.Decode!(new ReadOnlySequence<byte>(sample.Payload));
        if (sample.Payload.Length < 2)
        {
            return;
        }

        foreach (var (split, sequence) in Sequences.AllSplits(sample.Payload))
        {
            Assert.True(expected == sample.Decode(sequence), split);
        }
    }

    [Theory]
    [MemberData(nameof(ExactTypes))]
    public void Every_truncated_payload_is_rejected_with_08P01(string name)
    {
        var sample = MessageCatalog.Named(name);
        for (var length = 0; length < sample.Payload.Length; length++)
        {
            // Framed as the sender would frame a short message: the length field agrees with the short payload.
            var framed = new WireBuilder().Bytes(sample.Payload[..length]).ToMessage(sample.Code);
            Assert.True(MessageFramer.TryRead(new ReadOnlySequence<byte>(framed), Cap, out var message, out _, out _));
            var payload = message.Payload;
            var error = Assert.Throws<PgProtocolException>(() => sample.Decode!(payload));
            Assert.True(error.SqlState == "08P01", $"prefix {length}: {error.SqlState}");
        }
    }

    [Theory]
    [MemberData(nameof(ExactTypes))]
    public void A_trailing_byte_after_a_complete_payload_is_rejected_with_08P01(string name)
    {
        var sample = MessageCatalog.Named(name);
        var payload = new ReadOnlySequence<byte>([.. sample.Payload, 0x00]);
        var error = Assert.Throws<PgProtocolException>(() => sample.Decode!(payload));
        Assert.Equal("08P01", error.SqlState);
    }

    [Fact]
    public void Only_client_message_codes_pass_the_first_byte_check()
    {
        foreach (var sample in MessageCatalog.Frontend.Where(s => s.Code != 'p'))
        {
            Assert.True(FrontendMessageCodes.IsAfterAuthentication((byte)sample.Code), sample.Name);
        }

        // Server-only codes, the password message after login, and the first byte of a second StartupMessage.
        foreach (var code in "RK23GWIVvnNAt1sZTp\0!"u8.ToArray())
        {
            Assert.False(FrontendMessageCodes.IsAfterAuthentication(code), $"0x{code:X2}");
        }
    }
}
