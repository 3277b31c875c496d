using System.Diagnostics;
using System.Text;

namespace OrleansGate.IntegrationTests.Infrastructure;

/// <summary>Runs a tool or a real client (initdb, pg_ctl, psql) to completion within a bounded time.</summary>
public static class ExternalCommand
{
    public sealed record Result(string CommandLine, int ExitCode, string StandardOutput, string StandardError)
    {
        public override string ToString()
        {
            var text = new StringBuilder().Append(CommandLine).Append(" exited with ").Append(ExitCode);
            if (!string.IsNullOrWhiteSpace(StandardOutput))
            {
                text.AppendLine().Append("stdout: ").Append(StandardOutput.Trim());
            }

            if (!string.IsNullOrWhiteSpace(StandardError))
            {
                text.AppendLine().Append("stderr: ").Append(StandardError.Trim());
            }

            return text.ToString();
        }
    }

    public static async Task<Result> RunAsync(
        string fileName,
        IReadOnlyList<string> arguments,
        TimeSpan timeout,
        CancellationToken ct = default,
        IReadOnlyDictionary<string, string>? environment = null,
        string? standardInput = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var commandLine = $"{fileName} {string.Join(' ', arguments)}";
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{commandLine} did not start");
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
        }

        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            ct.ThrowIfCancellationRequested();
            throw new TimeoutException($"{commandLine} did not finish within {timeout.TotalSeconds:0}s");
        }

        return new Result(commandLine, process.ExitCode, await stdout, await stderr);
    }
}
