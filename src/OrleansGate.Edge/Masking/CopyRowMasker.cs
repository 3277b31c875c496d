using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.Edge.Masking;

/// <summary>Rewrites the CopyData messages of one COPY ... TO STDOUT so masked values never reach the agent.</summary>
/// <remarks>
/// PostgreSQL sends one row per CopyData (binary: the file header with the first row, the trailer alone), so
/// each message is parsed whole and a message that does not parse ends the session (fail closed). A field is
/// decoded (text escapes, CSV quoting) before detection and hashing, and its replacement encoded again. Not
/// thread-safe, and stateful: one per COPY.
/// </remarks>
public sealed partial class CopyRowMasker
{
    // Not a u8 literal: "\xff" there would be U+00FF, two bytes in UTF-8.
    private static ReadOnlySpan<byte> BinarySignature => [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xFF, (byte)'\r', (byte)'\n', 0];

    private readonly ColumnRewriter _columns;
    private readonly CopyFormatKind _format;
    private readonly byte _delimiter;
    private readonly byte _quote;
    private readonly byte _escape;
    private readonly byte[] _null;
    private readonly SearchValues<byte> _csvSpecial;
    private readonly PooledByteWriter _row = new();
    private readonly PooledByteWriter _decoded = new();
    private readonly PooledByteWriter _scratch = new();
    private bool _headerPending;
    private bool _binaryTrailerSeen;

    private CopyRowMasker(ColumnRewriter columns, CopyFormatKind format, bool header, char delimiter, string nullString, char quote, char escape)
    {
        _columns = columns;
        _format = format;
        _delimiter = (byte)delimiter;
        _quote = (byte)quote;
        _escape = (byte)escape;
        _null = Encoding.UTF8.GetBytes(nullString);
        _csvSpecial = SearchValues.Create([_delimiter, _quote, (byte)'\n', (byte)'\r']);
        // Binary always has its file header; text and CSV have a header row only when asked.
        _headerPending = header || format == CopyFormatKind.Binary;
    }

    /// <summary>Null when nothing in <paramref name="fields"/> needs work; the relay then forwards CopyData untouched.</summary>
    /// <param name="fields">Per COPY column; TypeOid 0 when the type is unknown; Format is ignored.</param>
    /// <exception cref="ArgumentException">A delimiter, quote or escape that is not one ASCII character, or a delimiter that is a newline.</exception>
    public static CopyRowMasker? Create(
        IReadOnlyList<FieldPlan> fields,
        IReadOnlyList<DetectorGroup> detectors,
        CopyFormatKind format,
        bool header,
        char delimiter,
        string nullString,
        char quote,
        char escape)
    {
        ArgumentNullException.ThrowIfNull(nullString);
        if (delimiter > 0x7F || quote > 0x7F || escape > 0x7F || delimiter is '\n' or '\r')
        {
            throw new ArgumentException("COPY delimiter, quote and escape must be single ASCII characters, the delimiter not a newline");
        }

        return ColumnRewriter.Create(fields, detectors, unknownIsText: format != CopyFormatKind.Binary) is { } columns
            ? new CopyRowMasker(columns, format, header, delimiter, nullString, quote, escape)
            : null;
    }

    /// <summary>Writes the masked CopyData ('d', length, data) for one CopyData <paramref name="payload"/>.</summary>
    /// <exception cref="PgProtocolException">08P01: the payload does not parse in the COPY's format; nothing was written.</exception>
    public void Rewrite(in ReadOnlySequence<byte> payload, IBufferWriter<byte> output, MaskCounts counts)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(counts);
        using var data = new ContiguousPayload(payload);
        try
        {
            switch (_format)
            {
                case CopyFormatKind.Binary:
                    RewriteBinary(data.Span, counts);
                    break;
                case var _ when _headerPending:
                    // The header row names columns; it holds no values.
                    _headerPending = false;
                    _row.Write(data.Span);
                    break;
                default:
                    RewriteTextRows(data.Span, counts);
                    break;
            }

            WriteCopyData(output);
        }
        finally
        {
            _row.Reset();
            _decoded.Reset();
            _scratch.Reset();
        }
    }

    private void WriteCopyData(IBufferWriter<byte> output)
    {
        var length = checked(
            sizeof(int)             // length, counts itself
            + _row.WrittenCount);   // the data
        var span = output.GetSpan(1 + length);
        span[0] = (byte)BackendMessageCode.CopyData;
        BinaryPrimitives.WriteInt32BigEndian(span[1..], length);
        _row.WrittenSpan.CopyTo(span[5..]);
        output.Advance(1 + length);
    }

    private static PgProtocolException Violation(string message) => RowMasker.Violation(message);
}
