namespace OrleansGate.Edge.Masking;

/// <summary>COPY TEXT and CSV: delimited fields, one row per line, each format with its own escaping.</summary>
public sealed partial class CopyRowMasker
{
    private void RewriteTextRows(ReadOnlySpan<byte> data, MaskCounts counts)
    {
        var position = 0;
        while (position < data.Length)
        {
            position = RewriteTextRow(data, position, counts);
        }
    }

    /// <summary>One row from <paramref name="position"/> to its newline; returns where the next row starts.</summary>
    private int RewriteTextRow(ReadOnlySpan<byte> data, int position, MaskCounts counts)
    {
        for (var i = 0; ; i++)
        {
            _decoded.Reset();
            var quoted = false;
            var end = _format == CopyFormatKind.Csv
                ? CsvFieldEnd(data, position, out quoted)
                : TextFieldEnd(data, position);
            if (i >= _columns.Count)
            {
                throw Violation($"COPY row has more than {_columns.Count} fields");
            }

            RewriteTextField(i, data[position..end], quoted, counts);
            _row.WriteByte(data[end]);
            position = end + 1;
            if (data[end] == '\n')
            {
                return i + 1 == _columns.Count
                    ? position
                    : throw Violation($"COPY row has {i + 1} fields where the COPY has {_columns.Count}");
            }
        }
    }

    private void RewriteTextField(int index, ReadOnlySpan<byte> raw, bool quoted, MaskCounts counts)
    {
        // The NULL string is matched on the raw field, before any unescaping, as PostgreSQL writes it.
        if (!_columns.Touches(index) || (!quoted && raw.SequenceEqual(_null)))
        {
            _row.Write(raw);
            return;
        }

        if (_format == CopyFormatKind.Text)
        {
            Unescape(raw);
        }

        switch (_columns.Rewrite(index, _decoded.WrittenSpan, 0, _scratch, counts))
        {
            case FieldOutcome.Replaced when _format == CopyFormatKind.Csv:
                WriteCsv(_scratch.WrittenSpan);
                break;
            case FieldOutcome.Replaced:
                WriteEscaped(_scratch.WrittenSpan);
                break;
            case FieldOutcome.Null:
                _row.Write(_null);
                break;
            default:
                _row.Write(raw);
                break;
        }

        _scratch.Reset();
    }

    /// <summary>Text: the field ends at an unescaped delimiter or newline (PostgreSQL escapes both inside values).</summary>
    private int TextFieldEnd(ReadOnlySpan<byte> data, int position)
    {
        var end = position;
        while (end < data.Length && data[end] != _delimiter && data[end] != '\n')
        {
            end += data[end] == '\\' ? 2 : 1;
        }

        return end < data.Length ? end : throw Violation("COPY text row does not end with a newline");
    }

    /// <summary>
    /// CSV: quoted sections may hold delimiters, newlines and escaped quotes; the decoded value goes to
    /// <see cref="_decoded"/>. Read as PostgreSQL's CopyReadAttributesCSV does, quoted and plain parts may mix.
    /// </summary>
    private int CsvFieldEnd(ReadOnlySpan<byte> data, int position, out bool quoted)
    {
        quoted = false;
        var end = position;
        while (true)
        {
            if (end >= data.Length)
            {
                throw Violation("COPY csv row does not end with a newline or has an unterminated quoted field");
            }

            var b = data[end];
            if (b == _delimiter || b == '\n')
            {
                return end;
            }

            if (b == _quote)
            {
                quoted = true;
                end = QuotedEnd(data, end + 1);
                continue;
            }

            _decoded.WriteByte(b);
            end++;
        }
    }

    private int QuotedEnd(ReadOnlySpan<byte> data, int position)
    {
        while (position < data.Length)
        {
            var b = data[position];
            if (b == _escape && position + 1 < data.Length && (data[position + 1] == _escape || data[position + 1] == _quote))
            {
                _decoded.WriteByte(data[position + 1]);
                position += 2;
            }
            else if (b == _quote)
            {
                return position + 1;
            }
            else
            {
                _decoded.WriteByte(b);
                position++;
            }
        }

        throw Violation("COPY csv field has an unterminated quoted section");
    }

    /// <summary>Decodes COPY text escapes: \b \f \n \r \t \v, octal \ooo, hex \xhh, and \c for any other c.</summary>
    private void Unescape(ReadOnlySpan<byte> raw)
    {
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] != '\\')
            {
                _decoded.WriteByte(raw[i]);
                continue;
            }

            if (++i == raw.Length)
            {
                throw Violation("COPY text field ends in a backslash");
            }

            var c = raw[i];
            if (c is >= (byte)'0' and <= (byte)'7')
            {
                var value = c - '0';
                for (var digits = 1; digits < 3 && i + 1 < raw.Length && raw[i + 1] is >= (byte)'0' and <= (byte)'7'; digits++)
                {
                    value = (value << 3) + (raw[++i] - '0');
                }

                _decoded.WriteByte((byte)value);
            }
            else if (c == 'x' && i + 1 < raw.Length && Hex.Value(raw[i + 1]) >= 0)
            {
                var value = Hex.Value(raw[++i]);
                if (i + 1 < raw.Length && Hex.Value(raw[i + 1]) >= 0)
                {
                    value = (value << 4) + Hex.Value(raw[++i]);
                }

                _decoded.WriteByte((byte)value);
            }
            else
            {
                _decoded.WriteByte(c switch
                {
                    (byte)'b' => (byte)'\b',
                    (byte)'f' => (byte)'\f',
                    (byte)'n' => (byte)'\n',
                    (byte)'r' => (byte)'\r',
                    (byte)'t' => (byte)'\t',
                    (byte)'v' => (byte)'\v',
                    _ => c,
                });
            }
        }
    }

    /// <summary>Encodes a replacement as PostgreSQL's CopyAttributeOutText does.</summary>
    private void WriteEscaped(ReadOnlySpan<byte> value)
    {
        foreach (var b in value)
        {
            var escaped = b switch
            {
                (byte)'\\' => (byte)'\\',
                (byte)'\b' => (byte)'b',
                (byte)'\f' => (byte)'f',
                (byte)'\n' => (byte)'n',
                (byte)'\r' => (byte)'r',
                (byte)'\t' => (byte)'t',
                (byte)'\v' => (byte)'v',
                _ when b == _delimiter => b,
                _ => (byte)0,
            };
            if (escaped != 0)
            {
                _row.WriteByte((byte)'\\');
                _row.WriteByte(escaped);
            }
            else
            {
                _row.WriteByte(b);
            }
        }
    }

    /// <summary>Encodes a replacement as PostgreSQL's CopyAttributeOutCSV does: quoted when it must be.</summary>
    private void WriteCsv(ReadOnlySpan<byte> value)
    {
        // A value that reads as the NULL string (or as the end marker \.) is quoted so it stays a value.
        var quote = value.ContainsAny(_csvSpecial) || value.SequenceEqual(_null) || value.SequenceEqual("\\."u8);
        if (!quote)
        {
            _row.Write(value);
            return;
        }

        _row.WriteByte(_quote);
        foreach (var b in value)
        {
            if (b == _quote || b == _escape)
            {
                _row.WriteByte(_escape);
            }

            _row.WriteByte(b);
        }

        _row.WriteByte(_quote);
    }
}
