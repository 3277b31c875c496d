using System.Buffers;

namespace OrleansGate.Postgres.Protocol;

/// <summary>
/// Structural checks of the upstream's descriptions and completions, walked without copying: a field count that runs
/// past the message, a format code a client does not know or trailing bytes end the session instead of reaching a
/// client that would misread them.
/// </summary>
public static class BackendStructure
{
    /// <summary>Bytes of one RowDescription field after its name: table oid, column number, type oid, type size, type modifier, format.</summary>
    private const int FieldTail = sizeof(int) + sizeof(short) + sizeof(int) + sizeof(short) + sizeof(int) + sizeof(short);

    /// <summary>RowDescription ('T'): Int16 field count, then per field a name (CString) and <see cref="FieldTail"/> bytes.</summary>
    /// <returns>The number of fields.</returns>
    public static int ValidateRowDescription(in ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, "RowDescription");
        var count = reader.ReadCount16("field count");
        reader.EnsureAvailable(count * (1L + FieldTail), "field count"); // each field: at least an empty name's NUL
        for (var i = 0; i < count; i++)
        {
            reader.ReadCStringBytes("field name");
            reader.Skip(FieldTail - sizeof(short), "field description");
            CheckFormat(reader.ReadInt16("format code"), "RowDescription");
        }

        reader.EnsureEnd();
        return count;
    }

    /// <summary>ParameterDescription ('t'): Int16 parameter count, then one Int32 type oid per parameter.</summary>
    public static int ValidateParameterDescription(in ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, "ParameterDescription");
        var count = reader.ReadCount16("parameter count");
        reader.Skip(count * (long)sizeof(int), "parameter count");
        reader.EnsureEnd();
        return count;
    }

    /// <summary>CommandComplete ('C'): one NUL-terminated tag and nothing after it.</summary>
    public static void ValidateCommandComplete(in ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, "CommandComplete");
        reader.ReadCStringBytes("command tag");
        reader.EnsureEnd();
    }

    /// <summary>
    /// CopyInResponse ('G'), CopyOutResponse ('H'), CopyBothResponse ('W'): Int8 overall format, Int16 column count,
    /// one Int16 format per column; in text format (0) every column is text.
    /// </summary>
    public static int ValidateCopyResponse(in ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, "CopyResponse");
        var overall = reader.ReadByte("overall format");
        CheckFormat(overall, "CopyResponse");
        var count = reader.ReadCount16("column count");
        reader.EnsureAvailable(count * (long)sizeof(short), "column count");
        for (var i = 0; i < count; i++)
        {
            var format = reader.ReadInt16("column format");
            CheckFormat(format, "CopyResponse");
            if (overall == 0 && format != 0)
            {
                throw PgProtocolException.Violation("invalid CopyResponse message: a binary column in a text-format COPY");
            }
        }

        reader.EnsureEnd();
        return count;
    }

    private static void CheckFormat(int format, string messageName)
    {
        if (format is not (0 or 1))
        {
            throw PgProtocolException.Violation($"invalid {messageName} message: unknown format code {format}");
        }
    }
}
