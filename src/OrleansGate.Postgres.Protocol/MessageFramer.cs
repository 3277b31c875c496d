using System.Buffers;

namespace OrleansGate.Postgres.Protocol;

/// <summary>Cuts framed messages (code byte, Int32 length, payload) out of a receive buffer without copying.</summary>
public static class MessageFramer
{
    /// <summary>The code byte and the length field.</summary>
    public const int HeaderLength = 1 + sizeof(int);

    /// <summary>Reads one message if the buffer holds all of it.</summary>
    /// <param name="buffer">What has been received and not yet consumed.</param>
    /// <param name="maxLength">The largest length field accepted (the field counts itself, so at least 4).</param>
    /// <param name="message">The message; its slices point into <paramref name="buffer"/>.</param>
    /// <param name="consumed">Where the caller's <c>AdvanceTo</c> should consume up to.</param>
    /// <param name="examined">Where the caller's <c>AdvanceTo</c> should mark as examined.</param>
    /// <returns><see langword="false"/> when more bytes are needed; then consumed is the start and examined the end.</returns>
    /// <exception cref="PgProtocolException">08P01: the length field is under 4 or over <paramref name="maxLength"/>.</exception>
    public static bool TryRead(
        in ReadOnlySequence<byte> buffer,
        int maxLength,
        out PgMessage message,
        out SequencePosition consumed,
        out SequencePosition examined)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, sizeof(int));

        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryRead(out var code) || !reader.TryReadBigEndian(out int length))
        {
            return Incomplete(buffer, out message, out consumed, out examined);
        }

        // The length counts its own four bytes but not the code byte.
        if (length < sizeof(int))
        {
            throw PgProtocolException.Violation($"invalid message length {length}: the length field counts itself, so it is at least 4");
        }

        // Checked before waiting for the body, so a peer cannot make us buffer up to 2 GiB. A framing
        // error like the others (08P01, as PostgreSQL reports an invalid message length).
        if (length > maxLength)
        {
            throw PgProtocolException.Violation($"invalid message length {length}: the limit is {maxLength} bytes");
        }

        var total = 1L + length;
        if (buffer.Length < total)
        {
            return Incomplete(buffer, out message, out consumed, out examined);
        }

        var payloadStart = reader.Position;
        var end = buffer.GetPosition(length - sizeof(int), payloadStart);
        message = new PgMessage(code, length, buffer.Slice(payloadStart, end), buffer.Slice(buffer.Start, end));
        consumed = end;
        examined = end;
        return true;
    }

    private static bool Incomplete(
        in ReadOnlySequence<byte> buffer,
        out PgMessage message,
        out SequencePosition consumed,
        out SequencePosition examined)
    {
        message = default;
        consumed = buffer.Start;
        examined = buffer.End;
        return false;
    }
}
