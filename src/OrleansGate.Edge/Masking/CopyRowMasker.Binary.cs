using System.Buffers.Binary;

namespace OrleansGate.Edge.Masking;

/// <summary>COPY BINARY: signature, flags, header extension, then tuples of Int16 count and Int32-length fields, then -1.</summary>
public sealed partial class CopyRowMasker
{
    private const int BinaryHeaderLength = 11 + sizeof(int) + sizeof(int);     // signature, flags, extension length

    private void RewriteBinary(ReadOnlySpan<byte> data, MaskCounts counts)
    {
        var position = 0;
        if (_headerPending)
        {
            position = BinaryHeaderEnd(data);
            _row.Write(data[..position]);
            _headerPending = false;
        }

        while (position < data.Length)
        {
            if (_binaryTrailerSeen || data.Length - position < sizeof(short))
            {
                throw Violation("COPY binary data after the trailer or a truncated tuple");
            }

            var count = BinaryPrimitives.ReadInt16BigEndian(data[position..]);
            _row.Write(data.Slice(position, sizeof(short)));
            position += sizeof(short);
            if (count == -1)
            {
                _binaryTrailerSeen = true;
                continue;
            }

            if (count != _columns.Count)
            {
                throw Violation($"COPY binary tuple has {count} fields where the COPY has {_columns.Count}");
            }

            for (var i = 0; i < count; i++)
            {
                position = RewriteBinaryField(data, position, i, counts);
            }
        }
    }

    private int RewriteBinaryField(ReadOnlySpan<byte> data, int position, int index, MaskCounts counts)
    {
        if (data.Length - position < sizeof(int))
        {
            throw Violation("COPY binary tuple ends inside a field length");
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(data[position..]);
        position += sizeof(int);
        if (length == -1)
        {
            WriteBinaryField(-1, []);
            return position;
        }

        if (length < 0 || length > data.Length - position)
        {
            throw Violation($"COPY binary field length {length} is invalid");
        }

        var value = data.Slice(position, length);
        var outcome = _columns.Touches(index)
            ? _columns.Rewrite(index, value, 1, _scratch, counts)
            : FieldOutcome.Unchanged;
        switch (outcome)
        {
            case FieldOutcome.Replaced:
                WriteBinaryField(_scratch.WrittenCount, _scratch.WrittenSpan);
                break;
            case FieldOutcome.Null:
                WriteBinaryField(-1, []);
                break;
            default:
                WriteBinaryField(length, value);
                break;
        }

        _scratch.Reset();
        return position + length;
    }

    private void WriteBinaryField(int length, ReadOnlySpan<byte> value)
    {
        BinaryPrimitives.WriteInt32BigEndian(_row.GetSpan(sizeof(int)), length);
        _row.Advance(sizeof(int));
        _row.Write(value);
    }

    /// <summary>Where the file header ends; it must come whole in the first CopyData.</summary>
    private static int BinaryHeaderEnd(ReadOnlySpan<byte> data)
    {
        if (data.Length < BinaryHeaderLength || !data.StartsWith(BinarySignature))
        {
            throw Violation("COPY binary data does not start with the PGCOPY signature");
        }

        // Bits 16-31 are critical: bit 16 adds an OID field to each tuple, the others are not defined yet.
        var flags = BinaryPrimitives.ReadInt32BigEndian(data[11..]);
        if ((flags & unchecked((int)0xFFFF0000)) != 0)
        {
            throw Violation("COPY binary header sets a critical flag the gateway cannot mask");
        }

        var extension = BinaryPrimitives.ReadInt32BigEndian(data[15..]);
        if (extension < 0 || extension > data.Length - BinaryHeaderLength)
        {
            throw Violation("COPY binary header extension is truncated");
        }

        return BinaryHeaderLength + extension;
    }
}
