using System.Buffers;

namespace OrleansGate.Postgres.Protocol;

/// <summary>Decoders for the payloads of client messages (<see cref="PgMessage.Payload"/>).</summary>
/// <remarks>
/// Every decoder consumes the whole payload: a missing terminator, a count that runs past the end or
/// bytes left over are a <see cref="PgProtocolException"/> (08P01). A lenient reader would let what the
/// gateway classifies differ from what PostgreSQL executes.
/// </remarks>
public static class FrontendMessages
{
    private const short TextFormat = 0;
    private const short BinaryFormat = 1;

    /// <summary>Query ('Q'): the SQL text, possibly several statements, possibly empty.</summary>
    public static string ReadQuery(in ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, "Query");
        var sql = reader.ReadCString("query string");
        reader.EnsureEnd();
        return sql;
    }

    /// <summary>Parse ('P'): statement name, SQL text, Int16 count of parameter types, Int32 OID each.</summary>
    public static ParseMessage ReadParse(in ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, "Parse");
        var statementName = reader.ReadCString("statement name");
        var sql = reader.ReadCString("query string");
        var count = reader.ReadCount16("parameter type count");
        reader.EnsureAvailable(count * (long)sizeof(int), "parameter type count");
        var oids = count == 0 ? [] : new int[count];
        for (var i = 0; i < oids.Length; i++)
        {
            oids[i] = reader.ReadInt32("parameter type");
        }

        reader.EnsureEnd();
        return new ParseMessage(statementName, sql, oids);
    }

    /// <summary>PasswordMessage ('p') answering AuthenticationCleartextPassword: the password, NUL-terminated.</summary>
    public static string ReadPassword(in ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, "PasswordMessage");
        var password = reader.ReadCString("password");
        reader.EnsureEnd();
        return password;
    }

    /// <summary>
    /// Bind ('B'): portal, statement, parameter formats, parameter values, result formats.
    /// </summary>
    /// <remarks>
    /// Format codes must be 0 or 1; PostgreSQL would refuse others later, and masking must know how
    /// result values are encoded. 16-bit counts are unsigned, as PostgreSQL reads them.
    /// </remarks>
    public static BindMessage ReadBind(in ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, "Bind");
        var portalName = reader.ReadCString("portal name");
        var statementName = reader.ReadCString("statement name");

        var formatCount = reader.ReadCount16("parameter format count");
        reader.EnsureAvailable(formatCount * (long)sizeof(short), "parameter format count");
        for (var i = 0; i < formatCount; i++)
        {
            ReadFormatCode(ref reader, "parameter format code");
        }

        var parameterCount = reader.ReadCount16("parameter count");

        // No codes = all text; one code = for every parameter; otherwise exactly one per parameter.
        if (formatCount > 1 && formatCount != parameterCount)
        {
            throw PgProtocolException.Violation(
                $"invalid Bind message: {formatCount} parameter formats for {parameterCount} parameters");
        }

        // Each value needs at least its Int32 length.
        reader.EnsureAvailable(parameterCount * (long)sizeof(int), "parameter count");
        for (var i = 0; i < parameterCount; i++)
        {
            var length = reader.ReadInt32("parameter length");

            // -1 is NULL and has no value bytes; any other negative length is malformed.
            if (length == -1)
            {
                continue;
            }

            if (length < 0)
            {
                throw PgProtocolException.Violation($"invalid Bind message: parameter length {length}");
            }

            reader.Skip(length, "parameter value");
        }

        var resultFormatCount = reader.ReadCount16("result format count");
        reader.EnsureAvailable(resultFormatCount * (long)sizeof(short), "result format count");
        var resultFormats = resultFormatCount == 0 ? [] : new short[resultFormatCount];
        for (var i = 0; i < resultFormats.Length; i++)
        {
            resultFormats[i] = ReadFormatCode(ref reader, "result format code");
        }

        reader.EnsureEnd();
        return new BindMessage(portalName, statementName, parameterCount) { ResultFormatCodes = resultFormats };
    }

    /// <summary>Describe ('D') or Close ('C'): 'S' for a prepared statement or 'P' for a portal, then its name.</summary>
    public static (byte Kind, string Name) ReadDescribeOrClose(in ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, "Describe/Close");
        var kind = reader.ReadByte("kind");
        if (kind is not ((byte)'S' or (byte)'P'))
        {
            throw PgProtocolException.Violation("invalid Describe/Close message: kind is neither 'S' nor 'P'");
        }

        var name = reader.ReadCString("name");
        reader.EnsureEnd();
        return (kind, name);
    }

    /// <summary>Execute ('E'): portal name and the row limit (0 or negative = no limit, as PostgreSQL reads it).</summary>
    public static (string Portal, int MaxRows) ReadExecute(in ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, "Execute");
        var portal = reader.ReadCString("portal name");
        var maxRows = reader.ReadInt32("row limit");
        reader.EnsureEnd();
        return (portal, maxRows);
    }

    private static short ReadFormatCode(ref PayloadReader reader, string field)
    {
        var code = reader.ReadInt16(field);
        if (code is not (TextFormat or BinaryFormat))
        {
            throw PgProtocolException.Violation($"invalid Bind message: unsupported format code {code}");
        }

        return code;
    }
}
