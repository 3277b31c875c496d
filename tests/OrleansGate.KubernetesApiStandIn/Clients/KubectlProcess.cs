using System.Diagnostics;
using System.Text;

namespace OrleansGate.KubernetesApiStandIn.Clients;

/// <summary>
/// A running kubectl: its output read asynchronously line by line, so a test can await the line it expects
/// (a TaskCompletionSource completed by the reader) instead of sleeping. Killed on dispose if still running.
/// </summary>
public sealed class KubectlProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Lock _gate = new();
    private readonly List<string> _stdout = [];
    private readonly StringBuilder _stderr = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Seen)> _waiters = [];

    public KubectlProcess(ProcessStartInfo start)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => OnStdout(e.Data);
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_gate)
                {
                    _stderr.AppendLine(e.Data);
                }
            }
        };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public StreamWriter StandardInput => _process.StandardInput;

    /// <summary>Completes with the first stdout line (already seen or still to come) that matches.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            var already = _stdout.FirstOrDefault(match);
            if (already is not null)
            {
                return already;
            }

            _waiters.Add((match, seen));
        }

        try
        {
            return await seen.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"kubectl printed no matching line within {timeout}:\n{Output()}");
        }
    }

    public async Task<KubectlResult> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"kubectl did not exit within {timeout}:\n{Output()}");
        }

        lock (_gate)
        {
            return new KubectlResult(_process.ExitCode, string.Join('\n', _stdout), _stderr.ToString());
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void OnStdout(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _stdout.Add(line);
            foreach (var waiter in _waiters.Where(w => w.Match(line)).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Seen.TrySetResult(line);
            }
        }
    }

    private string Output()
    {
        lock (_gate)
        {
            return $"--- stdout\n{string.Join('\n', _stdout)}\n--- stderr\n{_stderr}";
        }
    }
}
