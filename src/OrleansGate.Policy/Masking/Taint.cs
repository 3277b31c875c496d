using OrleansGate.Policy.Model;

namespace OrleansGate.Policy.Masking;

/// <summary>
/// The masks whose columns' values a value may carry (null when clean), and whether it is computed from them rather
/// than a bare reference. Several masks are kept, not the first, so that a deny setting of any of them is seen.
/// </summary>
internal sealed class Taint
{
    private readonly PolicyMask[] _masks;

    private Taint(PolicyMask[] masks, bool derived)
    {
        _masks = masks;
        Derived = derived;
    }

    public IReadOnlyList<PolicyMask> Masks => _masks;

    public PolicyMask First => _masks[0];

    public bool Derived { get; }

    public ColumnTaint ToColumn() => new(First, Derived);

    public static Taint Of(PolicyMask mask, bool derived) => new([mask], derived);

    public static Taint? OfAny(PolicyMask? mask) => mask is null ? null : Of(mask, derived: true);

    /// <summary>The same masks, computed: what any expression over a tainted value carries.</summary>
    public static Taint? Derive(Taint? taint) =>
        taint is null || taint.Derived ? taint : new Taint(taint._masks, derived: true);

    public static Taint? Union(IEnumerable<Taint?> taints) => taints.Aggregate((Taint?)null, Union);

    public static Taint? Union(Taint? a, Taint? b)
    {
        if (a is null || ReferenceEquals(a, b))
        {
            return b;
        }

        if (b is null)
        {
            return a;
        }

        var extra = b._masks.Where(m => Array.IndexOf(a._masks, m) < 0).ToArray();
        var derived = a.Derived || b.Derived;
        return extra.Length == 0 && derived == a.Derived ? a : new Taint([.. a._masks, .. extra], derived);
    }
}
