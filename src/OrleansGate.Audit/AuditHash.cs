using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace OrleansGate.Audit;

/// <summary>
/// The chain hash: SHA-256 over the previous hash and a canonical encoding of the record. Every field is
/// written in a fixed order and length-prefixed (null = length -1), so no two different records encode
/// alike, whatever their text holds. Changing the order or the encoding invalidates every stored chain.
/// </summary>
public static class AuditHash
{
    private static readonly byte[] Version = "orleansgate-audit-v1"u8.ToArray();

    // One buffer per thread: the canonical encoding is written into it and hashed in one call. Feeding SHA-256
    // field by field (two calls per field, each into the native library) cost more than the hashing itself.
    private const int MaxKeptBuffer = 64 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    public static string Compute(AuditRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var w = new Writer(buffer);
        w.Bytes(Version);
        w.Text(row.PrevHash);
        w.Text(row.SessionId);
        w.Int(row.SessionSeq);
        w.Int((row.At.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10);
        w.Text(row.Kind);
        w.Text(row.Issuer);
        w.Text(row.Subject);
        w.Text(row.TokenId);
        w.List(row.Groups);
        w.Text(row.EdgeNode);
        w.Text(row.ClientAddress);
        w.Text(row.Target);
        w.Text(row.Protocol);
        w.Text(row.Fingerprint);
        w.Text(row.Statement);
        w.Text(row.StatementKinds);
        w.List(row.RelationsRead);
        w.List(row.RelationsWritten);
        w.Text(row.Decision);
        w.Text(row.Rule);
        w.Text(row.Reason);
        w.Int(row.PolicyVersion);
        w.Text(row.ApprovalId);
        w.Text(row.Approver);
        w.List(row.MaskedColumns);
        w.Int(row.Rows);
        w.Int(row.DurationMicroseconds);
        w.Text(row.Outcome);

        // Added later: encoded only when present, so rows written before the column existed keep their hashes.
        if (row.CompletesSeq is not null)
        {
            w.Int(row.CompletesSeq);
        }

        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(buffer.WrittenSpan, digest);
        if (buffer.Capacity > MaxKeptBuffer)
        {
            t_buffer = null; // a rare huge record does not pin its buffer to the thread
        }

        return Convert.ToHexStringLower(digest);
    }

    private readonly struct Writer(ArrayBufferWriter<byte> buffer)
    {
        public void Bytes(ReadOnlySpan<byte> value)
        {
            Length(value.Length);
            buffer.Write(value);
        }

        public void Text(string? value)
        {
            if (value is null)
            {
                Null();
                return;
            }

            var length = Encoding.UTF8.GetByteCount(value);
            Length(length);
            Encoding.UTF8.GetBytes(value, buffer.GetSpan(length));
            buffer.Advance(length);
        }

        public void Int(long? value)
        {
            if (value is not { } v)
            {
                Null();
                return;
            }

            Span<byte> bytes = stackalloc byte[8];
            BinaryPrimitives.WriteInt64BigEndian(bytes, v);
            Bytes(bytes);
        }

        public void List(IReadOnlyList<string> values)
        {
            Length(values.Count);
            foreach (var value in values)
            {
                Text(value);
            }
        }

        private void Null() => Length(-1);

        private void Length(int value)
        {
            BinaryPrimitives.WriteInt32BigEndian(buffer.GetSpan(4), value);
            buffer.Advance(4);
        }
    }
}
