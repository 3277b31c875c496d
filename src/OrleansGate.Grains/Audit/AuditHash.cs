using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace OrleansGate.Grains.Audit;

/// <summary>
/// The chain hash: SHA-256 over the previous hash and a canonical encoding of the record. Every field is
/// written in a fixed order and length-prefixed (null = length -1), so no two different records encode
/// alike, whatever their text holds. Changing the order or the encoding invalidates every stored chain.
/// </summary>
public static class AuditHash
{
    private static readonly byte[] Version = "orleansgate-audit-v1"u8.ToArray();

    public static string Compute(AuditRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var w = new Writer(hash);
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
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private readonly struct Writer(IncrementalHash hash)
    {
        public void Bytes(ReadOnlySpan<byte> value)
        {
            Span<byte> length = stackalloc byte[4];
            BinaryPrimitives.WriteInt32BigEndian(length, value.Length);
            hash.AppendData(length);
            hash.AppendData(value);
        }

        public void Text(string? value)
        {
            if (value is null)
            {
                Null();
                return;
            }

            Bytes(Encoding.UTF8.GetBytes(value));
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
            Span<byte> count = stackalloc byte[4];
            BinaryPrimitives.WriteInt32BigEndian(count, values.Count);
            hash.AppendData(count);
            foreach (var value in values)
            {
                Text(value);
            }
        }

        private void Null()
        {
            Span<byte> length = stackalloc byte[4];
            BinaryPrimitives.WriteInt32BigEndian(length, -1);
            hash.AppendData(length);
        }
    }
}
