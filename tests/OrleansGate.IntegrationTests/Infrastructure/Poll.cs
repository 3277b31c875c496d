namespace OrleansGate.IntegrationTests.Infrastructure;

/// <summary>Bounded polling of a condition nothing signals (a row another process writes, a server's state).</summary>
internal static class Poll
{
    /// <summary>Checks <paramref name="condition"/> every 50 ms until it holds; fails with <paramref name="what"/> after <paramref name="seconds"/>.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, what);
            await tick.WaitForNextTickAsync();
        }
    }
}
