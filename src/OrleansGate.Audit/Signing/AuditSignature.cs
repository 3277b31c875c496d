using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace OrleansGate.Audit.Signing;

/// <summary>
/// One signed statement of a writer about its own rows (or, for a seal, of a live writer about a dead one). Stored in
/// <c>orleansgate_audit_signature</c> and appended, identical, to the checkpoint file outside the database.
/// </summary>
/// <param name="Writer">The writer the statement is about.</param>
/// <param name="Number">Its place among that writer's signatures: 1 (the start), 2, 3 … with no gap; a seal is
/// <see cref="SealNumber"/>, outside that sequence, so it can never collide with one the writer made itself.</param>
/// <param name="WriterSeq">The writer's rows 1..<paramref name="WriterSeq"/> are covered (0 for a start).</param>
/// <param name="Digest">The running digest (<see cref="WriterDigest"/>) over those rows, hex.</param>
/// <param name="KeyId">Which key signed (<see cref="AuditKeyId"/>); verification needs its public key only.</param>
/// <param name="Signer">The writer that signed: <paramref name="Writer"/> itself, or the sealer.</param>
/// <param name="Detail">JSON (<see cref="AuditSignatureDetail"/>): who runs the writer, void numbers, seal notes.</param>
/// <param name="Signature">ECDSA P-256 / SHA-256 over <see cref="Payload"/>, IEEE P1363 form, base64.</param>
public sealed record AuditSignature(
    string Writer,
    long Number,
    string Kind,
    DateTimeOffset At,
    long WriterSeq,
    string Digest,
    string KeyId,
    string Signer,
    string Detail,
    string Signature)
{
    /// <summary>A seal's number: at most one per writer (the primary key), and apart from the writer's own numbers.</summary>
    public const long SealNumber = 0;

    private static ReadOnlySpan<byte> Version => "orleansgate-audit-signature-v1"u8;

    public AuditSignatureKind? ParsedKind => Enum.TryParse<AuditSignatureKind>(Kind, ignoreCase: true, out var k) && Kind == Name(k) ? k : null;

    public static string Name(AuditSignatureKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>What the signature covers: every field but the signature, each length-prefixed, times in microseconds.</summary>
    public byte[] Payload()
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        Text(buffer, Encoding.ASCII.GetString(Version));
        Text(buffer, Kind);
        Text(buffer, Writer);
        Int(buffer, Number);
        Int(buffer, (At.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10);
        Int(buffer, WriterSeq);
        Text(buffer, Digest);
        Text(buffer, KeyId);
        Text(buffer, Signer);
        Text(buffer, Detail);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Times are kept to the microsecond, as timestamptz stores them, so what is signed is what is read back.</summary>
    public static DateTimeOffset Microseconds(DateTimeOffset at) => new(at.UtcTicks - (at.UtcTicks % 10), TimeSpan.Zero);

    private static void Text(ArrayBufferWriter<byte> buffer, string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        BinaryPrimitives.WriteInt32BigEndian(buffer.GetSpan(4), length);
        buffer.Advance(4);
        Encoding.UTF8.GetBytes(value, buffer.GetSpan(length));
        buffer.Advance(length);
    }

    private static void Int(ArrayBufferWriter<byte> buffer, long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(buffer.GetSpan(8), value);
        buffer.Advance(8);
    }
}
