using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using OrleansGate.Host.Hosting;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Fixtures;

/// <summary>
/// A real orleansgate node in a process of its own, so it can die as a production node does: SIGKILL (no shutdown code
/// runs at all) or SIGTERM (the host's own stop). Its output is kept (the last lines) for failure messages only.
/// </summary>
public sealed class NodeProcess : IDisposable
{
    private const int KeptLines = 200;
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private NodeProcess(Process process, GatewaySettings settings)
    {
        _process = process;
        Settings = settings;
    }

    public GatewaySettings Settings { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>The exit code, once <see cref="HasExited"/>.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>The process id, part of the names of the node's audit writers (NODE:PID:…).</summary>
    public int ProcessId => _process.Id;

    /// <summary>
    /// Starts the executable with <paramref name="settings"/> and waits (bounded) until its PostgreSQL listener accepts
    /// connections (a silo-only node, which has none: its HTTP listener).
    /// </summary>
    public static async Task<NodeProcess> StartAsync(GatewaySettings settings, GatewayRole role)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var info = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "orleansgate"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--config", settings.WriteConfigFile(), "run", "--role", role.ToString().ToLowerInvariant() })
        {
            info.ArgumentList.Add(argument);
        }

        var node = new NodeProcess(Process.Start(info) ?? throw new InvalidOperationException("orleansgate did not start"), settings);
        try
        {
            // Drained so a full pipe never blocks the node.
            node._process.OutputDataReceived += (_, e) => node.Keep(e.Data);
            node._process.ErrorDataReceived += (_, e) => node.Keep(e.Data);
            node._process.BeginOutputReadLine();
            node._process.BeginErrorReadLine();
            await node.WaitUntilListeningAsync(role == GatewayRole.Silo ? settings.HttpPort : settings.PostgresPort, TimeSpan.FromSeconds(90));
            return node;
        }
        catch
        {
            node.Dispose();
            throw;
        }
    }

    /// <summary>SIGKILL: the process ends at once; nothing of it runs, no socket is closed gracefully by it.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    /// <summary>
    /// Sends a signal with the real <c>kill</c>: <c>TERM</c> as a service manager stops a node (the host runs its
    /// shutdown); <c>STOP</c>/<c>CONT</c> to freeze and resume it (an edge that is alive, its sockets open, but answers nothing).
    /// </summary>
    public async Task SignalAsync(string signal)
    {
        var result = await ExternalCommand.RunAsync("kill", [$"-{signal}", _process.Id.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10));
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    /// <summary>Waits for the process to exit; false if it is still running after <paramref name="within"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan within)
    {
        using var deadline = new CancellationTokenSource(within);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>The last lines the node wrote, for a failure message.</summary>
    public string OutputTail => string.Join(Environment.NewLine, _output);

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            // SIGKILL also ends a process that a test froze with SIGSTOP.
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > KeptLines && _output.TryDequeue(out _))
        {
        }
    }

    /// <summary>Bounded polling, as a client that retries its connection would; fails early if the node died.</summary>
    private async Task WaitUntilListeningAsync(int port, TimeSpan within)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            Assert.False(_process.HasExited, $"the node exited with {(_process.HasExited ? _process.ExitCode : 0)} before listening:{Environment.NewLine}{OutputTail}");
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync("127.0.0.1", port);
                return;
            }
            catch (SocketException) when (deadline.Elapsed < within)
            {
                await WaitForExitAsync(TimeSpan.FromMilliseconds(200));
            }
        }
    }
}
