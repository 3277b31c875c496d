using System.Buffers.Binary;
using System.Security.Cryptography;

namespace OrleansGate.Audit.Signing;

/// <summary>
/// The running digest a writer keeps over exactly the rows it appended, in its own gap-free order:
/// <c>d(n) = SHA-256("orleansgate-writer-v1" ‖ d(n-1) ‖ n ‖ mark ‖ row hash)</c>, with <c>d(0)</c> all zeros.
/// A number the writer sent but that never committed (a batch whose answer was lost and that did not land) is folded
/// as "void" instead of a row, so the writer never reuses a number and a signature says which numbers hold no row.
/// </summary>
public static class WriterDigest
{
    public const int Size = SHA256.HashSizeInBytes;

    /// <summary>The digest before the first row, as stored (hex).</summary>
    public static readonly string Genesis = new('0', Size * 2);

    private static ReadOnlySpan<byte> Tag => "orleansgate-writer-v1"u8;

    /// <summary>Folds row number <paramref name="writerSeq"/> with chain hash <paramref name="rowHash"/> (64 hex digits) into <paramref name="digest"/>.</summary>
    public static void FoldRow(Span<byte> digest, long writerSeq, string rowHash)
    {
        Span<byte> hash = stackalloc byte[Size];
        if (rowHash.Length != Size * 2 || Convert.FromHexString(rowHash, hash, out _, out var written) != System.Buffers.OperationStatus.Done || written != Size)
        {
            // A stored hash that is not 64 hex digits was edited by hand; folded as its own text, so it can never match.
            hash.Clear();
            SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("not a hash: " + rowHash), hash);
            Fold(digest, writerSeq, 2, hash);
            return;
        }

        Fold(digest, writerSeq, 1, hash);
    }

    /// <summary>Folds number <paramref name="writerSeq"/> as void: the writer used it for a batch that did not commit.</summary>
    public static void FoldVoid(Span<byte> digest, long writerSeq) => Fold(digest, writerSeq, 0, stackalloc byte[Size]);

    /// <summary>Folds number <paramref name="writerSeq"/> as missing: a sealer found no row there although later rows exist.</summary>
    public static void FoldMissing(Span<byte> digest, long writerSeq) => Fold(digest, writerSeq, 3, stackalloc byte[Size]);

    public static byte[] Parse(string hex)
    {
        var bytes = new byte[Size];
        if (hex.Length != Size * 2 || Convert.FromHexString(hex, bytes, out _, out _) != System.Buffers.OperationStatus.Done)
        {
            throw new FormatException("a writer digest is 64 hex digits");
        }

        return bytes;
    }

    public static string Format(ReadOnlySpan<byte> digest) => Convert.ToHexStringLower(digest);

    private static void Fold(Span<byte> digest, long writerSeq, byte mark, ReadOnlySpan<byte> hash)
    {
        // 21 + 32 + 8 + 1 + 32 bytes: one buffer, one call.
        Span<byte> input = stackalloc byte[Tag.Length + Size + 8 + 1 + Size];
        Tag.CopyTo(input);
        var at = Tag.Length;
        digest.CopyTo(input[at..]);
        at += Size;
        BinaryPrimitives.WriteInt64BigEndian(input[at..], writerSeq);
        at += 8;
        input[at++] = mark;
        hash.CopyTo(input[at..]);
        SHA256.HashData(input, digest);
    }
}
