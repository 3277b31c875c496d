using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace OrleansGate.Grains.Audit;

/// <summary>
/// A signed statement by one writer: "my rows with sequence numbers in (<see cref="FirstSeq"/>-1 … <see cref="LastSeq"/>]
/// are exactly <see cref="RowCount"/> rows, whose (seq, hash) pairs fold, after <see cref="PrevHash"/>, to <see cref="Hash"/>".
/// Checkpoints of one writer chain through <see cref="PrevHash"/>; <see cref="Mac"/> is HMAC-SHA256 with the gateway's key.
/// </summary>
public sealed record AuditCheckpoint(
    string Writer,
    long Number,
    DateTimeOffset At,
    long FirstSeq,
    long LastSeq,
    long RowCount,
    string PrevHash,
    string Hash,
    string Mac)
{
    private static readonly byte[] FoldVersion = "orleansgate-audit-checkpoint-v1"u8.ToArray();

    /// <summary>Folds rows (in sequence order) into a checkpoint hash after <paramref name="prevHash"/>.</summary>
    public static string Fold(string prevHash, IEnumerable<(long Seq, string Hash)> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(FoldVersion);
        hash.AppendData(Encoding.ASCII.GetBytes(prevHash));
        Span<byte> seq = stackalloc byte[8];
        foreach (var (s, h) in rows)
        {
            BinaryPrimitives.WriteInt64BigEndian(seq, s);
            hash.AppendData(seq);
            hash.AppendData(Encoding.ASCII.GetBytes(h));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    public static string Sign(byte[] key, AuditCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(checkpoint.CanonicalText())));
    }

    public bool HasValidMac(byte[] key) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(key, this)), Encoding.ASCII.GetBytes(Mac));

    /// <summary>What the MAC covers: every field but the MAC, length-prefixed so fields cannot run into each other.</summary>
    private string CanonicalText()
    {
        var micros = (At.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
        string[] fields = ["v1", Writer, $"{Number}", $"{micros}", $"{FirstSeq}", $"{LastSeq}", $"{RowCount}", PrevHash, Hash];
        var text = new StringBuilder();
        foreach (var field in fields)
        {
            text.Append(field.Length).Append(':').Append(field).Append(';');
        }

        return text.ToString();
    }

    /// <summary>Reads a signing key file: raw bytes, at least 32 of them (up.sh writes 32 random bytes, hex encoded).</summary>
    public static byte[] LoadKey(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"the audit checkpoint key '{path}' cannot be read: {e.Message}", e);
        }

        if (bytes.Length < 32)
        {
            throw new InvalidOperationException($"the audit checkpoint key '{path}' is shorter than 32 bytes");
        }

        return bytes;
    }
}
