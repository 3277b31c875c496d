using System.Net.Sockets;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using OrleansGate.Policy.Model;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace OrleansGate.Edge.Ssh;

/// <summary>
/// Runs one command on an SSH target with SSH.NET: the gateway's own key, the host key pinned by the policy (anything
/// else refuses before a byte of the command is sent), stdout and stderr handed on as they come, and the command killed
/// (SIGKILL by the SSH <c>signal</c> request, then the channel and the connection closed) when it runs past its time
/// limit, writes more than the output cap, or its caller goes.
/// </summary>
/// <remarks>
/// No pty, no shell of the gateway's choosing: the command line goes to the host as an SSH <c>exec</c> request, which
/// the host's sshd runs with the user's login shell (<c>$SHELL -c LINE</c>), as <c>ssh host LINE</c> does. One
/// connection per command; nothing of it is shared between agents.
/// </remarks>
public sealed class SshCommandRunner(IOptions<SshExecOptions> options)
{
    /// <summary>How long a kill waits for the host's answer before the connection is closed anyway.</summary>
    private const int KillAnswerMilliseconds = 2000;

    /// <summary>Hands one chunk of output on; called by one output at a time, in the order the chunks came.</summary>
    public delegate ValueTask OutputHandler(SshOutputStream stream, ReadOnlyMemory<byte> chunk);

    /// <summary>Runs <paramref name="command"/> on <paramref name="target"/>; see the class remarks.</summary>
    /// <exception cref="SshHostFailure">The command was not started: key, host key, login or connection failed.</exception>
    public async Task<SshRunResult> RunAsync(SshTarget target, string command, TimeSpan timeout, OutputHandler output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(output);
        var settings = options.Value;
        using var key = ReadKey(target);
        var login = new PrivateKeyAuthenticationMethod(target.User, key);
        var connection = new ConnectionInfo(target.Host, target.Port, target.User, login) { Timeout = settings.ConnectTimeout };
        using var client = new SshClient(connection);
        string? presented = null;
        client.HostKeyReceived += (_, e) =>
        {
            // SSH.NET gives the fingerprint as ssh-keygen prints it, without its "SHA256:" prefix.
            presented = "SHA256:" + e.FingerPrintSHA256;
            e.CanTrust = CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(presented), Encoding.ASCII.GetBytes(target.HostKeyFingerprint));
        };

        await ConnectAsync(client, target, () => presented, settings.ConnectTimeout, cancellationToken).ConfigureAwait(false);
        using var ssh = client.CreateCommand(command);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(timeout);
        var state = new RunState(settings.MaxOutputBytes);
        var gate = new SemaphoreSlim(1, 1);
        Task running;
        try
        {
            running = ssh.ExecuteAsync(CancellationToken.None);
            // No stdin: the command sees its end at once, rather than waiting on input nobody will send.
            SshStdin.Close(ssh);
        }
        catch (Exception e) when (e is SshException or SocketException or ObjectDisposedException or TargetInvocationException)
        {
            throw new SshHostFailure($"target '{target.Name}' ({target.Host}:{target.Port}) did not start the command: {e.Message}", e);
        }

        var pumps = Task.WhenAll(
            PumpAsync(ssh.OutputStream, SshOutputStream.Stdout, output, gate, state, stop),
            PumpAsync(ssh.ExtendedOutputStream, SshOutputStream.Stderr, output, gate, state, stop));
        var killed = false;
        try
        {
            await running.WaitAsync(stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            state.StopBecause(cancellationToken.IsCancellationRequested ? "the caller went away"
                : state.Stopped is null ? $"time limit of {timeout.TotalSeconds:0.###} s reached" : state.Stopped);
            if (!await KillAsync(ssh, running).ConfigureAwait(false))
            {
                state.Unconfirmed();
            }

            killed = true;
        }
        catch (Exception e) when (e is SshException or SocketException or ObjectDisposedException)
        {
            state.StopBecause($"the connection to the host failed: {e.Message}");
            killed = true;
        }

        // A command that ended has all its output in the outputs already: it is relayed before the connection closes.
        // A killed one's outputs end with the connection's close.
        if (!killed)
        {
            await SettleAsync(pumps).ConfigureAwait(false);
        }

        client.Disconnect();
        await SettleAsync(pumps).ConfigureAwait(false);
        return new SshRunResult(state.Stopped is null ? ssh.ExitStatus : null, ssh.ExitSignal, state.Bytes, state.Truncated, state.Stopped);
    }

    /// <summary>Waits (bounded) for both outputs to end; what was not relayed by then is not relayed.</summary>
    private static async Task SettleAsync(Task pumps)
    {
        try
        {
            await pumps.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException or ObjectDisposedException or SshException or IOException)
        {
            // The result says the command was stopped, or how it ended.
        }
    }

    private static async Task ConnectAsync(SshClient client, SshTarget target, Func<string?> presented, TimeSpan limit, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(limit);
        var where = $"target '{target.Name}' ({target.Host}:{target.Port})";
        try
        {
            await client.ConnectAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (Exception) when (presented() is { } key && key != target.HostKeyFingerprint)
        {
            throw new SshHostFailure($"{where} presented host key {key}, not the pinned {target.HostKeyFingerprint}: refused, nothing was sent to it");
        }
        catch (SshAuthenticationException e)
        {
            throw new SshHostFailure($"{where} refused the gateway's key for user '{target.User}' ({e.Message})", e);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SshHostFailure($"{where} did not answer within {limit.TotalSeconds:0.###} s");
        }
        catch (Exception e) when (e is SshException or SocketException or IOException or ProxyException)
        {
            throw new SshHostFailure($"{where} could not be reached: {e.Message}", e);
        }
    }

    /// <summary>
    /// SIGKILL to the command's process group (sshd's <c>killpg</c>), bounded, since a host may not answer signals; true
    /// when the host confirmed the command ended. OpenSSH refuses signals to root logins and forced-command
    /// (<c>command=</c>) sessions: the command then runs on after its channel closes (docs/ssh.md).
    /// </summary>
    private static async Task<bool> KillAsync(SshCommand ssh, Task running)
    {
        try
        {
            if (!running.IsCompleted)
            {
                // SSH.NET blocks the calling thread while it waits for the host's answer: not a request thread.
                await Task.Run(() => ssh.CancelAsync(forceKill: true, millisecondsTimeout: KillAnswerMilliseconds)).ConfigureAwait(false);
            }

            await running.WaitAsync(TimeSpan.FromMilliseconds(KillAnswerMilliseconds)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException or SshException or InvalidOperationException or ObjectDisposedException or SocketException)
        {
            // The connection's close (the caller's next step) ends the channel.
        }

        return ssh.ExitSignal is not null || ssh.ExitStatus is not null;
    }

    private static async Task PumpAsync(Stream stream, SshOutputStream which, OutputHandler output, SemaphoreSlim gate, RunState state, CancellationTokenSource stop)
    {
        var buffer = new byte[16 * 1024];
        while (true)
        {
            int read;
            try
            {
                read = await stream.ReadAsync(buffer, stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or IOException)
            {
                return;
            }

            if (read == 0)
            {
                return;
            }

            var relay = state.Take(read);
            if (relay > 0)
            {
                await gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
                try
                {
                    await output(which, buffer.AsMemory(0, relay)).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
                {
                    state.StopBecause("the caller went away");
                    await stop.CancelAsync().ConfigureAwait(false);
                    return;
                }
                finally
                {
                    gate.Release();
                }
            }

            if (relay < read)
            {
                await stop.CancelAsync().ConfigureAwait(false); // over the cap: the command is killed
                return;
            }
        }
    }

    /// <summary>The gateway's private key for <paramref name="target"/>, from its file or environment variable.</summary>
    private static PrivateKeyFile ReadKey(SshTarget target)
    {
        try
        {
            if (target.KeyFile is { } file)
            {
                return new PrivateKeyFile(file);
            }

            var text = target.KeyEnvironmentVariable is { } name ? Environment.GetEnvironmentVariable(name) : null;
            if (string.IsNullOrWhiteSpace(text))
            {
                throw new SshHostFailure($"target '{target.Name}': the gateway's key is not available ({target.CredentialReference} is not set)");
            }

            return new PrivateKeyFile(new MemoryStream(Encoding.UTF8.GetBytes(text)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SshException or ArgumentException or FormatException or NotSupportedException)
        {
            // The exception's text is about the file, never the key's content.
            throw new SshHostFailure($"target '{target.Name}': the gateway's key could not be read ({target.CredentialReference}: {e.GetType().Name})", e);
        }
    }

    /// <summary>Output bytes seen and relayed, and why the command was stopped; shared by both outputs.</summary>
    private sealed class RunState(long cap)
    {
        private long _bytes;

        public long Bytes => Interlocked.Read(ref _bytes);

        public bool Truncated { get; private set; }

        public string? Stopped { get; private set; }

        /// <summary>Counts <paramref name="read"/> bytes and returns how many of them may still be relayed.</summary>
        public int Take(int read)
        {
            var after = Interlocked.Add(ref _bytes, read);
            if (after <= cap)
            {
                return read;
            }

            lock (this)
            {
                if (!Truncated)
                {
                    Truncated = true;
                    Stopped ??= $"output over the cap of {cap} bytes";
                }
            }

            return (int)Math.Max(0, read - (after - cap));
        }

        /// <summary>The host did not confirm the kill: the command may still run there.</summary>
        public void Unconfirmed()
        {
            lock (this)
            {
                Stopped += " (the host did not confirm the kill: the command may still run there)";
            }
        }

        public void StopBecause(string reason)
        {
            lock (this)
            {
                Stopped ??= reason;
            }
        }
    }
}
