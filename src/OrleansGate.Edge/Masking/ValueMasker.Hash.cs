using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;

namespace OrleansGate.Edge.Masking;

/// <summary>The hash method: a keyed HMAC of the value's canonical bytes, shaped as a value of the column's type.</summary>
/// <remarks>
/// The canonical bytes are the value's text representation (bytea: its raw bytes), whichever format it came
/// in, so a value masks the same in text and binary and in every table: joins and group-bys on it still work.
/// </remarks>
public sealed partial class ValueMasker
{
    private const int MacLength = 32;

    /// <summary>Bytes of the MAC shown in a text replacement: 12 bytes, "h:" and 24 digits, fit a <c>name</c>.</summary>
    internal const int TextMacBytes = 12;

    internal const int TextHashLength = 2 + (2 * TextMacBytes);

    private const int UuidTextLength = 36;

    private bool TryHash(ReadOnlySpan<byte> value, uint typeOid, short format, IBufferWriter<byte> dest)
    {
        Span<byte> mac = stackalloc byte[MacLength];
        if (!TryMac(value, typeOid, format, mac))
        {
            return false;
        }

        switch (typeOid)
        {
            case PgTypeOids.Json or PgTypeOids.Jsonb:
                WriteJsonPrefix(typeOid, format, dest);
                var json = dest.GetSpan(TextHashLength + 2);
                json[0] = (byte)'"';
                WriteTextHash(mac, json[1..]);
                json[TextHashLength + 1] = (byte)'"';
                dest.Advance(TextHashLength + 2);
                return true;
            case PgTypeOids.Bytea:
                if (format == 1)
                {
                    dest.Write(mac[..16]);
                    return true;
                }

                var hex = dest.GetSpan(2 + 32);
                hex[0] = (byte)'\\';
                hex[1] = (byte)'x';
                Hex.WriteLower(mac[..16], hex[2..]);
                dest.Advance(2 + 32);
                return true;
            case PgTypeOids.Uuid:
                if (format == 1)
                {
                    dest.Write(mac[..16]);
                    return true;
                }

                WriteUuidText(mac[..16], dest.GetSpan(UuidTextLength));
                dest.Advance(UuidTextLength);
                return true;
            case PgTypeOids.Int2 or PgTypeOids.Int4 or PgTypeOids.Int8:
                var size = IntegerSize(typeOid);
                if (format == 1)
                {
                    dest.Write(mac[..size]);
                    return true;
                }

                var number = size switch
                {
                    2 => BinaryPrimitives.ReadInt16BigEndian(mac),
                    4 => BinaryPrimitives.ReadInt32BigEndian(mac),
                    _ => BinaryPrimitives.ReadInt64BigEndian(mac),
                };
                var digits = dest.GetSpan(20);
                Utf8Formatter.TryFormat(number, digits, out var written);
                dest.Advance(written);
                return true;
            default:
                var text = dest.GetSpan(TextHashLength);
                WriteTextHash(mac, text);
                dest.Advance(TextHashLength);
                return true;
        }
    }

    /// <summary>"h:" and the first <see cref="TextMacBytes"/> bytes of <paramref name="mac"/> in hex.</summary>
    internal static void WriteTextHash(ReadOnlySpan<byte> mac, Span<byte> dest)
    {
        dest[0] = (byte)'h';
        dest[1] = (byte)':';
        Hex.WriteLower(mac[..TextMacBytes], dest[2..]);
    }

    internal void Mac(ReadOnlySpan<byte> canonical, Span<byte> mac) => HMACSHA256.HashData(_hashKey, canonical, mac);

    /// <summary>The MAC of the value's canonical bytes; false when the type has no hash replacement or the value does not parse.</summary>
    private bool TryMac(ReadOnlySpan<byte> value, uint typeOid, short format, Span<byte> mac)
    {
        if (PgTypeOids.IsTextLike(typeOid) || typeOid == PgTypeOids.Json)
        {
            Mac(value, mac);
            return true;
        }

        switch (typeOid)
        {
            case PgTypeOids.Jsonb:
                if (format == 1)
                {
                    if (value.IsEmpty || value[0] != JsonbVersion)
                    {
                        return false;
                    }

                    value = value[1..];
                }

                Mac(value, mac);
                return true;
            case PgTypeOids.Bytea:
                return TryMacBytea(value, format, mac);
            case PgTypeOids.Uuid:
                Span<byte> uuid = stackalloc byte[16];
                if (format == 1 ? value.Length != 16 : !TryParseUuid(value, uuid))
                {
                    return false;
                }

                if (format == 1)
                {
                    value.CopyTo(uuid);
                }

                Span<byte> uuidText = stackalloc byte[UuidTextLength];
                WriteUuidText(uuid, uuidText);
                Mac(uuidText, mac);
                return true;
            case PgTypeOids.Int2 or PgTypeOids.Int4 or PgTypeOids.Int8:
                if (!TryReadInteger(value, typeOid, format, out var number))
                {
                    return false;
                }

                Span<byte> decimalText = stackalloc byte[20];
                Utf8Formatter.TryFormat(number, decimalText, out var written);
                Mac(decimalText[..written], mac);
                return true;
            default:
                return false;
        }
    }

    /// <summary>bytea hashes its raw bytes; in text only the hex format (<c>\x…</c>) is read, the old escape format is refused.</summary>
    private bool TryMacBytea(ReadOnlySpan<byte> value, short format, Span<byte> mac)
    {
        if (format == 1)
        {
            Mac(value, mac);
            return true;
        }

        if (value.Length < 2 || value[0] != '\\' || value[1] != 'x' || value.Length % 2 != 0)
        {
            return false;
        }

        var length = (value.Length - 2) / 2;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            if (!Hex.TryDecode(value[2..], rented.AsSpan(0, length)))
            {
                return false;
            }

            Mac(rented.AsSpan(0, length), mac);
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static int IntegerSize(uint typeOid) => typeOid switch
    {
        PgTypeOids.Int2 => 2,
        PgTypeOids.Int4 => 4,
        _ => 8,
    };

    private static bool TryReadInteger(ReadOnlySpan<byte> value, uint typeOid, short format, out long number)
    {
        var size = IntegerSize(typeOid);
        if (format == 1)
        {
            number = 0;
            if (value.Length != size)
            {
                return false;
            }

            number = size switch
            {
                2 => BinaryPrimitives.ReadInt16BigEndian(value),
                4 => BinaryPrimitives.ReadInt32BigEndian(value),
                _ => BinaryPrimitives.ReadInt64BigEndian(value),
            };
            return true;
        }

        if (!Utf8Parser.TryParse(value, out number, out var consumed) || consumed != value.Length)
        {
            return false;
        }

        return size switch
        {
            2 => number is >= short.MinValue and <= short.MaxValue,
            4 => number is >= int.MinValue and <= int.MaxValue,
            _ => true,
        };
    }

    /// <summary>32 hex digits, hyphens anywhere ignored (PostgreSQL prints 8-4-4-4-12, lower case).</summary>
    private static bool TryParseUuid(ReadOnlySpan<byte> text, Span<byte> uuid)
    {
        var digits = 0;
        foreach (var c in text)
        {
            if (c == '-')
            {
                continue;
            }

            var v = Hex.Value(c);
            if (v < 0 || digits == 32)
            {
                return false;
            }

            uuid[digits / 2] = (byte)(digits % 2 == 0 ? v << 4 : uuid[digits / 2] | v);
            digits++;
        }

        return digits == 32;
    }

    /// <summary>The canonical text of a uuid: lower case, 8-4-4-4-12.</summary>
    private static void WriteUuidText(ReadOnlySpan<byte> uuid, Span<byte> dest)
    {
        Hex.WriteLower(uuid[..4], dest);
        dest[8] = (byte)'-';
        Hex.WriteLower(uuid[4..6], dest[9..]);
        dest[13] = (byte)'-';
        Hex.WriteLower(uuid[6..8], dest[14..]);
        dest[18] = (byte)'-';
        Hex.WriteLower(uuid[8..10], dest[19..]);
        dest[23] = (byte)'-';
        Hex.WriteLower(uuid[10..16], dest[24..]);
    }
}
