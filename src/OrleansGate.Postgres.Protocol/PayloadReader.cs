using System.Buffers;
using System.Text;

namespace OrleansGate.Postgres.Protocol;

/// <summary>Reads the fields of one message payload; every shortfall is a <see cref="PgProtocolException"/> (08P01).</summary>
/// <remarks>Error messages name the message and the field, never the bytes, so they are safe to send to the client.</remarks>
internal ref struct PayloadReader
{
    private SequenceReader<byte> _reader;
    private readonly string _messageName;

    public PayloadReader(in ReadOnlySequence<byte> payload, string messageName)
    {
        _reader = new SequenceReader<byte>(payload);
        _messageName = messageName;
    }

    public readonly long Remaining => _reader.Remaining;

    public readonly bool End => _reader.End;

    public byte ReadByte(string field)
    {
        if (!_reader.TryRead(out var value))
        {
            throw Truncated(field);
        }

        return value;
    }

    public short ReadInt16(string field)
    {
        if (!_reader.TryReadBigEndian(out short value))
        {
            throw Truncated(field);
        }

        return value;
    }

    /// <summary>A 16-bit count; PostgreSQL reads these unsigned, so 0..65535.</summary>
    public int ReadCount16(string field) => (ushort)ReadInt16(field);

    public int ReadInt32(string field)
    {
        if (!_reader.TryReadBigEndian(out int value))
        {
            throw Truncated(field);
        }

        return value;
    }

    public string ReadCString(string field) => PgEncoding.DecodeStrict(ReadCStringBytes(field), _messageName);

    public string ReadCStringLenient(string field) => PgEncoding.Lenient.GetString(ReadCStringBytes(field));

    /// <summary>The bytes up to the next NUL, which is consumed but not returned.</summary>
    public ReadOnlySequence<byte> ReadCStringBytes(string field)
    {
        if (!_reader.TryReadTo(out ReadOnlySequence<byte> value, 0, advancePastDelimiter: true))
        {
            throw PgProtocolException.Violation($"invalid {_messageName} message: {field} has no terminating NUL");
        }

        return value;
    }

    /// <summary>The next <paramref name="count"/> bytes as strict UTF-8.</summary>
    public string ReadText(long count, string field)
    {
        EnsureAvailable(count, field);
        var text = PgEncoding.DecodeStrict(_reader.UnreadSequence.Slice(0, count), _messageName);
        _reader.Advance(count);
        return text;
    }

    public byte[] ReadBytes(long count, string field)
    {
        EnsureAvailable(count, field);
        var bytes = _reader.UnreadSequence.Slice(0, count).ToArray();
        _reader.Advance(count);
        return bytes;
    }

    public byte[] ReadRemaining() => ReadBytes(_reader.Remaining, "data");

    public void Skip(long count, string field)
    {
        EnsureAvailable(count, field);
        _reader.Advance(count);
    }

    /// <summary>Checks a count read from the message against what is left, before anything is sized by it.</summary>
    public readonly void EnsureAvailable(long count, string field)
    {
        if (count < 0 || count > _reader.Remaining)
        {
            throw PgProtocolException.Violation($"invalid {_messageName} message: {field} exceeds the message length");
        }
    }

    public readonly void EnsureEnd()
    {
        if (!_reader.End)
        {
            throw PgProtocolException.Violation($"invalid {_messageName} message: {_reader.Remaining} unexpected bytes at the end");
        }
    }

    private readonly PgProtocolException Truncated(string field) =>
        PgProtocolException.Violation($"invalid {_messageName} message: too short for {field}");
}
