using System.Buffers;
using System.Buffers.Binary;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.Edge.Masking;

/// <summary>Rewrites the DataRow messages of one result so masked values never reach the agent.</summary>
/// <remarks>
/// <code>
/// DataRow in:  'D' len  count  [len value]*        (payload = count onwards)
///                             │ per column: pass / mask whole / scan
/// DataRow out: 'D' len' count  [len' value']*      (len' summed from the slots, written in one span)
/// </code>
/// Values that pass are copied straight from the payload; replacements go to a pooled scratch buffer first,
/// so the new length is known before the message is written. Not thread-safe: one per result being relayed.
/// </remarks>
public sealed class RowMasker
{
    private readonly ColumnRewriter _columns;
    private readonly Slot[] _slots;
    private readonly PooledByteWriter _scratch = new();

    private RowMasker(ColumnRewriter columns)
    {
        _columns = columns;
        _slots = new Slot[columns.Count];
    }

    /// <summary>Null when nothing in <paramref name="fields"/> needs work; the relay then forwards rows untouched.</summary>
    public static RowMasker? Create(IReadOnlyList<FieldPlan> fields, IReadOnlyList<DetectorGroup> detectors) =>
        ColumnRewriter.Create(fields, detectors, unknownIsText: false) is { } columns ? new RowMasker(columns) : null;

    /// <summary>
    /// Writes the masked DataRow ('D', recomputed length, count, fields) for <paramref name="payload"/> (what
    /// follows the length) to <paramref name="output"/> and adds what it masked to <paramref name="counts"/>.
    /// </summary>
    /// <exception cref="PgProtocolException">08P01: the row is malformed or its column count is not the plan's; nothing was written.</exception>
    public void Rewrite(in ReadOnlySequence<byte> payload, IBufferWriter<byte> output, MaskCounts counts)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(counts);
        using var row = new ContiguousPayload(payload);
        try
        {
            var length = Plan(row.Span, counts);
            Write(row.Span, length, output);
        }
        finally
        {
            _scratch.Reset();
        }
    }

    /// <summary>Decides every column into <see cref="_slots"/> and returns the new length field.</summary>
    private long Plan(ReadOnlySpan<byte> row, MaskCounts counts)
    {
        if (row.Length < sizeof(short))
        {
            throw Violation("DataRow message too short for its column count");
        }

        var count = BinaryPrimitives.ReadInt16BigEndian(row);
        if (count != _slots.Length)
        {
            throw Violation($"DataRow has {count} columns where the result has {_slots.Length}");
        }

        long length =
            sizeof(int)             // length, counts itself
            + sizeof(short);        // column count
        var position = sizeof(short);
        for (var i = 0; i < _slots.Length; i++)
        {
            if (row.Length - position < sizeof(int))
            {
                throw Violation("DataRow message ends inside a column length");
            }

            var valueLength = BinaryPrimitives.ReadInt32BigEndian(row[position..]);
            position += sizeof(int);
            if (valueLength == -1)
            {
                _slots[i] = Slot.Null;
            }
            else if (valueLength < 0 || valueLength > row.Length - position)
            {
                throw Violation($"invalid DataRow message: column length {valueLength}");
            }
            else
            {
                _slots[i] = Decide(i, row.Slice(position, valueLength), position, counts);
                position += valueLength;
            }

            length += sizeof(int) + Math.Max(_slots[i].Length, 0);     // column length + value
        }

        if (position != row.Length)
        {
            throw Violation("DataRow message has bytes after its last column");
        }

        return length <= int.MaxValue ? length : throw Violation("masked DataRow message would exceed 2 GiB");
    }

    private Slot Decide(int index, ReadOnlySpan<byte> value, int offset, MaskCounts counts)
    {
        var start = _scratch.WrittenCount;
        return _columns.Rewrite(index, value, _columns.Format(index), _scratch, counts) switch
        {
            FieldOutcome.Replaced => new Slot(start, _scratch.WrittenCount - start, FromScratch: true),
            FieldOutcome.Null => Slot.Null,
            _ => new Slot(offset, value.Length, FromScratch: false),
        };
    }

    private void Write(ReadOnlySpan<byte> row, long length, IBufferWriter<byte> output)
    {
        var size = 1 + (int)length;
        var span = output.GetSpan(size);
        span[0] = (byte)BackendMessageCode.DataRow;
        BinaryPrimitives.WriteInt32BigEndian(span[1..], (int)length);
        BinaryPrimitives.WriteInt16BigEndian(span[5..], (short)_slots.Length);
        var position = 7;
        foreach (var slot in _slots)
        {
            BinaryPrimitives.WriteInt32BigEndian(span[position..], slot.Length);
            position += sizeof(int);
            if (slot.Length > 0)
            {
                var value = slot.FromScratch ? _scratch.Slice(slot.Offset, slot.Length) : row.Slice(slot.Offset, slot.Length);
                value.CopyTo(span[position..]);
                position += slot.Length;
            }
        }

        output.Advance(size);
    }

    internal static PgProtocolException Violation(string message) => new(PgSqlState.ProtocolViolation, message);

    /// <summary>Where a column's output value lies: in the payload, in the scratch buffer, or nowhere (NULL, length -1).</summary>
    private readonly record struct Slot(int Offset, int Length, bool FromScratch)
    {
        public static Slot Null => new(0, -1, false);
    }
}
