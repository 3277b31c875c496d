using OrleansGate.Edge.Masking;

namespace OrleansGate.Edge.Tests.Masking;

public sealed class MaskCountsTests
{
    [Fact]
    public void Summary_adds_up_per_label_and_is_sorted_ordinally()
    {
        var counts = new MaskCounts();
        Assert.True(counts.IsEmpty);
        counts.Add("public.customers.email (pii, redact)");
        counts.Add("detector email (pii, redact)", 3);
        counts.Add("public.customers.email (pii, redact)", 11);

        Assert.Equal(["detector email (pii, redact): 3", "public.customers.email (pii, redact): 12"], counts.Summary());
        counts.Clear();
        Assert.True(counts.IsEmpty);
        Assert.Empty(counts.Summary());
    }
}
