using Orleans.Storage;

namespace OrleansGate.Grains.Cancel;

/// <summary>The one cancel-slot directory (see <see cref="ICancelDirectoryGrain"/>); persisted, so slots survive silos.</summary>
public sealed class CancelDirectoryGrain(
    [PersistentState("cancelSlots", GrainStorage.Name)] IPersistentState<CancelDirectoryState> state,
    TimeProvider time) : Grain, ICancelDirectoryGrain
{
    public async Task<int> Register(string edgeName, ICancelForwarder forwarder)
    {
        ArgumentException.ThrowIfNullOrEmpty(edgeName);
        ArgumentNullException.ThrowIfNull(forwarder);
        try
        {
            return await RegisterOnceAsync(edgeName, forwarder);
        }
        catch (InconsistentStateException)
        {
            // Another activation wrote first (possible while silos join or leave): register on top of what it wrote.
            await state.ReadStateAsync();
            return await RegisterOnceAsync(edgeName, forwarder);
        }
    }

    private async Task<int> RegisterOnceAsync(string edgeName, ICancelForwarder forwarder)
    {
        var slots = state.State.Slots;
        var slot = slots.FirstOrDefault(s => s.Value.EdgeName == edgeName).Key;
        if (slot == 0)
        {
            slot = Enumerable.Range(1, CancelSlots.Max).FirstOrDefault(s => !slots.ContainsKey(s));
        }

        if (slot == 0)
        {
            // Every slot taken: the edge that registered longest ago gives its slot up. Live edges register again every
            // few minutes, so this is an edge that is gone (default edge names change with every process).
            slot = slots.MinBy(s => s.Value.RegisteredAt).Key;
        }

        slots[slot] = new CancelSlotOwner(edgeName, forwarder, time.GetUtcNow());
        await state.WriteStateAsync();
        return slot;
    }

    public Task<ICancelForwarder?> Find(int slot) =>
        Task.FromResult(state.State.Slots.TryGetValue(slot, out var owner) ? owner.Forwarder : null);
}
