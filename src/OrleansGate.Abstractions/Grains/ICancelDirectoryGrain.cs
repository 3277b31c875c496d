namespace OrleansGate.Grains;

/// <summary>
/// Key <see cref="Key"/>: which edge owns each cancel-key slot. An edge puts its slot in the high bits of every process id it
/// issues, so any edge can route a CancelRequest to the owner without a grain call per login.
/// Touched once per edge process (and every few minutes after), never per session.
/// </summary>
[Alias("OrleansGate.ICancelDirectoryGrain")]
public interface ICancelDirectoryGrain : IGrainWithStringKey
{
    /// <summary>The one directory of the cluster.</summary>
    public const string Key = "all";

    /// <summary>The slot (1 to <see cref="CancelSlots.Max"/>) of <paramref name="edgeName"/>, now reached through <paramref name="forwarder"/>.</summary>
    [Alias("Register")]
    Task<int> Register(string edgeName, ICancelForwarder forwarder);

    /// <summary>The edge that owns <paramref name="slot"/>, or null when none does.</summary>
    [Alias("Find")]
    Task<ICancelForwarder?> Find(int slot);
}
