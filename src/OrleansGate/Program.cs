using OrleansGate.Host.Commands;

namespace OrleansGate.Host;

internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };

        try
        {
            return await CommandLine.RunAsync(args, Console.Out, Console.Error, cancel.Token);
        }
        catch (CommandLineException e)
        {
            await Console.Error.WriteLineAsync($"orleansgate: {e.Message}");
            await Console.Error.WriteLineAsync("Run 'orleansgate help' for usage.");
            return 2;
        }
        catch (Exception e) when (e is InvalidOperationException or DllNotFoundException)
        {
            // Configuration problems: one clear line, no stack trace.
            await Console.Error.WriteLineAsync($"orleansgate: {e.Message}");
            return 1;
        }
    }
}
