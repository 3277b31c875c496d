namespace OrleansGate.IntegrationTests.Storage;

/// <summary>Test-only grain that exercises grain state and reminders through the ADO.NET providers.</summary>
[Alias("OrleansGate.IntegrationTests.Storage.IProbeGrain")]
public interface IProbeGrain : IGrainWithStringKey
{
    [Alias("Increment")]
    Task<int> Increment();

    [Alias("Get")]
    Task<int> Get();

    [Alias("Clear")]
    Task Clear();

    [Alias("RegisterReminder")]
    Task RegisterReminder(string name, TimeSpan dueTime, TimeSpan period);

    [Alias("ListReminders")]
    Task<IReadOnlyList<string>> ListReminders();

    [Alias("UnregisterReminder")]
    Task UnregisterReminder(string name);
}
