using OrleansGate.Audit.Signing;

namespace OrleansGate.Audit.Tests;

public sealed class WriterDigestTests
{
    private static readonly string RowHash = new('a', 64);

    [Fact]
    public void Digest_of_a_fixed_sequence_is_pinned_so_a_change_of_the_format_cannot_go_unnoticed()
    {
        var digest = WriterDigest.Parse(WriterDigest.Genesis);
        WriterDigest.FoldRow(digest, 1, RowHash);
        WriterDigest.FoldVoid(digest, 2);
        WriterDigest.FoldMissing(digest, 3);
        WriterDigest.FoldRow(digest, 4, new string('b', 64));

        // Every stored signature depends on this value: it may only change with a new version tag.
        Assert.Equal(Pinned, WriterDigest.Format(digest));
    }

    [Fact]
    public void A_row_a_void_number_a_missing_number_and_an_edited_hash_fold_to_different_digests()
    {
        string Fold(Action<byte[]> step)
        {
            var digest = WriterDigest.Parse(WriterDigest.Genesis);
            step(digest);
            return WriterDigest.Format(digest);
        }

        var digests = new[]
        {
            Fold(d => WriterDigest.FoldRow(d, 1, RowHash)),
            Fold(d => WriterDigest.FoldVoid(d, 1)),
            Fold(d => WriterDigest.FoldMissing(d, 1)),
            Fold(d => WriterDigest.FoldRow(d, 1, "not a hash")),
            Fold(d => WriterDigest.FoldRow(d, 2, RowHash)),
        };

        Assert.Equal(digests.Length, digests.Distinct().Count());
    }

    [Fact]
    public void Parse_refuses_what_is_not_a_digest()
    {
        Assert.Throws<FormatException>(() => WriterDigest.Parse("zz"));
        Assert.Throws<FormatException>(() => WriterDigest.Parse(new string('g', 64)));
    }

    private const string Pinned = "4809c5e8e1abebe5bc12e2a36f8f820007d358a8e4860765850fadc9766e27cb";
}
