using System.Collections.Concurrent;

namespace OrleansGate.IntegrationTests.Storage;

/// <summary>Lets a test await a reminder tick: the silos run in the test process, so the grain can complete a task the test holds.</summary>
internal static class ProbeReminderSignals
{
    private static readonly ConcurrentDictionary<string, TaskCompletionSource> Ticks = new(StringComparer.Ordinal);

    public static Task Fired(string grainKey, string reminderName) => Get(grainKey, reminderName).Task;

    public static void Fire(string grainKey, string reminderName) => Get(grainKey, reminderName).TrySetResult();

    private static TaskCompletionSource Get(string grainKey, string reminderName) =>
        Ticks.GetOrAdd($"{grainKey}/{reminderName}", _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}
