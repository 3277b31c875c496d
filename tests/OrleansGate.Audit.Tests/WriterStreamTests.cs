using OrleansGate.Audit.Signing;

namespace OrleansGate.Audit.Tests;

public sealed class WriterStreamTests
{
    private static readonly string[] Two = [new('a', 64), new('b', 64)];

    [Fact]
    public void Committed_batches_advance_the_signed_state_in_order()
    {
        var stream = new WriterStream("w/0");
        var first = stream.Reserve(Two, "s", 1);
        stream.Committed(first);
        var second = stream.Reserve(Two, "s", 3);
        stream.Committed(second);

        Assert.Equal((1L, 3L), (first.First, second.First));
        var (seq, digest, voids) = stream.Snapshot();
        Assert.Equal(4, seq);
        Assert.Empty(voids);

        var expected = WriterDigest.Parse(WriterDigest.Genesis);
        for (var n = 1; n <= 4; n++)
        {
            WriterDigest.FoldRow(expected, n, Two[(n - 1) % 2]);
        }

        Assert.Equal(WriterDigest.Format(expected), digest);
    }

    [Fact]
    public void A_refused_batch_gives_its_numbers_back()
    {
        var stream = new WriterStream("w/0");
        var refused = stream.Reserve(Two, "s", 1);
        stream.Refused(refused);

        Assert.Equal(1, stream.Reserve(Two, "s", 1).First);
    }

    [Fact]
    public void A_batch_of_unknown_outcome_blocks_the_next_until_resolved_and_its_numbers_are_never_reused()
    {
        var stream = new WriterStream("w/0");
        var lost = stream.Reserve(Two, "s", 1);
        stream.Uncertain(lost);

        Assert.Throws<InvalidOperationException>(() => stream.Reserve(Two, "s", 3));
        stream.Resolve(committed: false);

        var (seq, _, voids) = stream.Snapshot();
        Assert.Equal(2, seq);
        Assert.Equal([1L, 2L], Assert.Single(voids));
        Assert.Equal(3, stream.Reserve(Two, "s", 1).First);

        stream.VoidSigned(2);
        Assert.Empty(stream.Snapshot().Void);
    }

    [Fact]
    public void A_batch_of_unknown_outcome_that_landed_joins_the_digest_like_any_other()
    {
        var landed = new WriterStream("w/0");
        landed.Uncertain(landed.Reserve(Two, "s", 1));
        landed.Resolve(committed: true);
        var plain = new WriterStream("w/1");
        plain.Committed(plain.Reserve(Two, "s", 1));

        Assert.Equal(plain.Snapshot().Digest, landed.Snapshot().Digest);
        Assert.Empty(landed.Snapshot().Void);
    }
}
