using System.Threading.Channels;
using ModelContextProtocol;

namespace OrleansGate.IntegrationTests.Mcp;

/// <summary>The progress notifications a client received, in order, to wait on (no sync context: reported at once).</summary>
public sealed class ProgressLog : IProgress<ProgressNotificationValue>
{
    private readonly Channel<ProgressNotificationValue> _received = Channel.CreateUnbounded<ProgressNotificationValue>();

    public List<ProgressNotificationValue> All { get; } = [];

    public void Report(ProgressNotificationValue value)
    {
        lock (All)
        {
            All.Add(value);
        }

        _received.Writer.TryWrite(value);
    }

    /// <summary>The first notification (from now) whose message satisfies <paramref name="match"/>.</summary>
    public async Task<ProgressNotificationValue> WaitForAsync(Func<string, bool> match, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            var value = await _received.Reader.ReadAsync(deadline.Token);
            if (value.Message is { } message && match(message))
            {
                return value;
            }
        }
    }
}
