using OrleansGate.Grains;

namespace OrleansGate.IntegrationTests.Storage;

public sealed class ProbeGrain(
    [PersistentState("probe", GrainStorage.Name)] IPersistentState<ProbeState> state) : Grain, IProbeGrain, IRemindable
{
    public async Task<int> Increment()
    {
        state.State.Count++;
        await state.WriteStateAsync();
        return state.State.Count;
    }

    public Task<int> Get() => Task.FromResult(state.State.Count);

    public Task Clear() => state.ClearStateAsync();

    public async Task RegisterReminder(string name, TimeSpan dueTime, TimeSpan period) =>
        await this.RegisterOrUpdateReminder(name, dueTime, period);

    public async Task<IReadOnlyList<string>> ListReminders() =>
        [.. (await this.GetReminders()).Select(r => r.ReminderName).Order(StringComparer.Ordinal)];

    public async Task UnregisterReminder(string name)
    {
        if (await this.GetReminder(name) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        ProbeReminderSignals.Fire(this.GetPrimaryKeyString(), reminderName);
        return Task.CompletedTask;
    }
}
