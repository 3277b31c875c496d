using System.Buffers;
using System.Text;
using OrleansGate.Policy.Model;

namespace OrleansGate.Edge.Masking;

/// <summary>How one mask replaces values.</summary>
/// <remarks>
/// A replacement is always a valid value of the column's type in the column's format, so the agent's driver
/// decodes it as it would the original; where no faithful replacement exists the value becomes NULL. Stateless
/// after construction, so one instance serves every session of a policy.
/// </remarks>
public sealed partial class ValueMasker
{
    private static ReadOnlySpan<byte> Marker => "[masked]"u8;

    private static ReadOnlySpan<byte> JsonMarker => "\"[masked]\""u8;

    /// <summary>jsonb's binary format: this version byte, then the text.</summary>
    internal const byte JsonbVersion = 1;

    private readonly byte[]? _hashKey;

    /// <param name="mask">The mask; its method and, for partial, its keep count.</param>
    /// <param name="hashKey">The HMAC-SHA256 key: required for <see cref="MaskMethod.Hash"/>, ignored otherwise.</param>
    /// <exception cref="ArgumentException">Hash without a key, or partial with a negative keep count.</exception>
    public ValueMasker(PolicyMask mask, byte[]? hashKey)
    {
        ArgumentNullException.ThrowIfNull(mask);
        if (mask.Method == MaskMethod.Hash && (hashKey is null || hashKey.Length == 0))
        {
            throw new ArgumentException($"mask '{mask.Name}' hashes values and needs a key", nameof(hashKey));
        }

        if (mask.Method == MaskMethod.Partial && mask.Keep < 0)
        {
            throw new ArgumentException($"mask '{mask.Name}' keeps a negative number of characters", nameof(mask));
        }

        Mask = mask;
        // A copy: the caller's array may be cleared or reused once the policy is loaded.
        _hashKey = mask.Method == MaskMethod.Hash ? [.. hashKey!] : null;
        MethodName = mask.Method switch
        {
            MaskMethod.Redact => "redact",
            MaskMethod.Partial => "partial",
            MaskMethod.Hash => "hash",
            _ => "null",
        };
    }

    public PolicyMask Mask { get; }

    /// <summary>The method as the audit names it: redact, partial, hash, null.</summary>
    internal string MethodName { get; }

    /// <summary>
    /// Writes the replacement of one non-NULL value of a column of type <paramref name="typeOid"/> in
    /// <paramref name="format"/> (0 text, 1 binary) to <paramref name="dest"/> and returns true; returns false,
    /// having written nothing, when the replacement is NULL (method null, or no faithful replacement for the type).
    /// </summary>
    public bool TryReplace(ReadOnlySpan<byte> value, uint typeOid, short format, IBufferWriter<byte> dest)
    {
        ArgumentNullException.ThrowIfNull(dest);
        if (format is not (0 or 1))
        {
            return false;
        }

        return Mask.Method switch
        {
            MaskMethod.Redact => TryRedact(typeOid, format, dest),
            MaskMethod.Partial => PgTypeOids.IsTextLike(typeOid)
                ? TryPartial(value, Mask.Keep, dest)
                : TryRedact(typeOid, format, dest),
            MaskMethod.Hash => TryHash(value, typeOid, format, dest),
            _ => false,
        };
    }

    private static bool TryRedact(uint typeOid, short format, IBufferWriter<byte> dest)
    {
        if (PgTypeOids.IsTextLike(typeOid))
        {
            dest.Write(Marker);
            return true;
        }

        if (PgTypeOids.IsJson(typeOid))
        {
            WriteJsonPrefix(typeOid, format, dest);
            dest.Write(JsonMarker);
            return true;
        }

        return false;
    }

    /// <summary>jsonb in binary starts with its version byte; json and text formats have no prefix.</summary>
    private static void WriteJsonPrefix(uint typeOid, short format, IBufferWriter<byte> dest)
    {
        if (typeOid == PgTypeOids.Jsonb && format == 1)
        {
            dest.GetSpan(1)[0] = JsonbVersion;
            dest.Advance(1);
        }
    }

    /// <summary>
    /// '*' for each Unicode scalar but the last <paramref name="keep"/>; all stars when the value has no more
    /// than <paramref name="keep"/>, so a short value is never shown whole. False on invalid UTF-8.
    /// </summary>
    internal static bool TryPartial(ReadOnlySpan<byte> utf8, int keep, IBufferWriter<byte> dest)
    {
        var scalars = 0;
        for (var i = 0; i < utf8.Length; scalars++)
        {
            if (Rune.DecodeFromUtf8(utf8[i..], out _, out var consumed) != OperationStatus.Done)
            {
                return false;
            }

            i += consumed;
        }

        var starred = scalars > keep ? scalars - keep : scalars;
        var tail = utf8;
        for (var s = 0; s < starred; s++)
        {
            Rune.DecodeFromUtf8(tail, out _, out var consumed);
            tail = tail[consumed..];
        }

        var span = dest.GetSpan(starred + tail.Length);
        span[..starred].Fill((byte)'*');
        tail.CopyTo(span[starred..]);
        dest.Advance(starred + tail.Length);
        return true;
    }
}
