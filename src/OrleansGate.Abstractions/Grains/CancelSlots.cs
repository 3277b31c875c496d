namespace OrleansGate.Grains;

/// <summary>
/// How an issued cancel process id is split: 10 high bits name the issuing edge's slot, 21 low bits are random.
/// The secret key (32 random bits) is what protects a session; the process id only routes.
/// </summary>
public static class CancelSlots
{
    public const int LocalBits = 21;

    /// <summary>Slots 1..Max; slot 0 means "this edge could not register": such keys work on the issuing edge only.</summary>
    public const int Max = (1 << (31 - LocalBits)) - 1;

    public static int SlotOf(int processId) => processId >>> LocalBits;
}
