using System.Globalization;
using System.Runtime.Versioning;
using OrleansGate.IntegrationTests.Infrastructure;
using Renci.SshNet;
using Renci.SshNet.Common;
using Renci.SshNet.Messages.Transport;

namespace OrleansGate.IntegrationTests.Ssh;

/// <summary>
/// <see cref="RealSshServer"/> driven by SSH.NET alone, as the gateway will drive it: a pinned host key, commands that
/// really run, the host's own record of them, and what cancelling a running command does to the remote process.
/// </summary>
/// <remarks>No collection: each test starts its own sshd (own temp dir, own port), so these run beside anything.</remarks>
[SupportedOSPlatform("linux")]
public sealed class RealSshServerTests
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Fingerprint_from_ssh_keygen_is_SSH_NET_FingerPrintSHA256_with_the_SHA256_prefix()
    {
        await using var server = await RealSshServer.StartAsync();
        string? seen = null;

        using var client = await ConnectAsync(server, server.HostKeyFingerprint, fingerprint => seen = fingerprint);

        // SSH.NET gives the unpadded base64 of the SHA-256 without "SHA256:"; ssh-keygen prints it with the prefix.
        Assert.NotNull(seen);
        Assert.DoesNotContain('=', seen);
        Assert.Equal(server.HostKeyFingerprint, "SHA256:" + seen);
        Assert.NotEqual(server.HostKeyFingerprint, server.OtherHostKeyFingerprint);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Echo_returns_its_output_with_exit_status_0_and_the_host_records_it(bool forcedCommand)
    {
        await using var server = await RealSshServer.StartAsync(forcedCommand);
        using var client = await ConnectAsync(server, server.HostKeyFingerprint);

        using var command = client.CreateCommand("echo hello");
        await command.ExecuteAsync().WaitAsync(Bounded);

        Assert.Equal("hello\n", command.Result);
        Assert.Equal("", command.Error);
        Assert.Equal(0, command.ExitStatus);
        Assert.Equal(["echo hello"], server.CommandsReceived());
    }

    [Fact]
    public async Task Exit_status_and_stderr_come_back_apart_from_stdout()
    {
        await using var server = await RealSshServer.StartAsync();
        using var client = await ConnectAsync(server, server.HostKeyFingerprint);

        using var command = client.CreateCommand("echo out; echo err >&2; exit 3");
        await command.ExecuteAsync().WaitAsync(Bounded);

        Assert.Equal("out\n", command.Result);
        Assert.Equal("err\n", command.Error);
        Assert.Equal(3, command.ExitStatus);
        Assert.Null(command.ExitSignal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_command_with_newlines_and_quotes_is_recorded_exactly(bool forcedCommand)
    {
        await using var server = await RealSshServer.StartAsync(forcedCommand);
        using var client = await ConnectAsync(server, server.HostKeyFingerprint);
        const string Text = "printf '%s\\n' one\nprintf '%s\\n' \"two  'three'\"\n";

        using var command = client.CreateCommand(Text);
        await command.ExecuteAsync().WaitAsync(Bounded);

        Assert.Equal("one\ntwo  'three'\n", command.Result);
        Assert.Equal([Text], server.CommandsReceived());
    }

    [Fact]
    public async Task Output_streams_while_the_command_still_runs()
    {
        await using var server = await RealSshServer.StartAsync();
        using var client = await ConnectAsync(server, server.HostKeyFingerprint);

        // The command cannot finish before it reads a line, so reading "first" proves output arrives while it runs.
        using var command = client.CreateCommand("echo first; echo warning >&2; read line; echo \"got $line\"");
        var running = command.ExecuteAsync();
        using var stdout = new StreamReader(command.OutputStream);
        using var stderr = new StreamReader(command.ExtendedOutputStream);
        Assert.Equal("first", await stdout.ReadLineAsync().WaitAsync(Bounded));
        Assert.Equal("warning", await stderr.ReadLineAsync().WaitAsync(Bounded));
        Assert.False(running.IsCompleted);

        using (var stdin = command.CreateInputStream())
        {
            stdin.Write("ok\n"u8); // disposing sends EOF
        }

        Assert.Equal("got ok", await stdout.ReadLineAsync().WaitAsync(Bounded));
        await running.WaitAsync(Bounded);
        Assert.Equal(0, command.ExitStatus);
    }

    [Fact]
    public async Task A_client_pinning_another_host_key_fails_to_connect_and_nothing_is_recorded()
    {
        await using var server = await RealSshServer.StartAsync();
        string? seen = null;

        var refused = await Assert.ThrowsAsync<SshConnectionException>(
            () => ConnectAsync(server, server.OtherHostKeyFingerprint, fingerprint => seen = fingerprint));

        Assert.Equal(DisconnectReason.KeyExchangeFailed, refused.DisconnectReason);
        Assert.Equal(server.HostKeyFingerprint, "SHA256:" + seen); // the check ran, on the real key
        Assert.Empty(server.CommandsReceived());
        Assert.DoesNotContain("Accepted publickey", server.ServerLog(), StringComparison.Ordinal);
    }

    /// <summary>
    /// Cancelling <c>ExecuteAsync</c>'s token calls <c>SshCommand.CancelAsync()</c>: a "signal" channel request (TERM;
    /// KILL with forceKill), then up to 500 ms for the server's exit-signal and close. sshd delivers it as
    /// killpg(TERM) to the command's session, so the whole command dies — but only for a non-root login: a root session
    /// runs in sshd's monitor, which refuses ("session signalling requires privilege separation").
    /// </summary>
    [Fact]
    public async Task Cancelling_a_running_command_on_a_plain_key_host_kills_the_remote_process_with_TERM()
    {
        await using var server = await RealSshServer.StartAsync(forcedCommand: false);
        using var client = await ConnectAsync(server, server.HostKeyFingerprint);
        var pidFile = server.MarkerPath("pid");
        using var command = client.CreateCommand($"echo $$ > {pidFile}; exec sleep 30");
        using var cancel = new CancellationTokenSource();

        var running = command.ExecuteAsync(cancel.Token);
        var pid = await RemotePidAsync(pidFile);
        Assert.Equal("sleep", ProcessName(pid));

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.WaitAsync(Bounded));

        await Poll.UntilAsync(() => Task.FromResult(!IsRunning(pid)), $"remote process {pid} still runs after cancel; sshd:\n{server.ServerLog()}", seconds: 10);
        Assert.Equal("TERM", command.ExitSignal);
        Assert.Null(command.ExitStatus);
    }

    /// <summary>
    /// With a forced command (authorized_keys <c>command=</c>, or sshd's ForceCommand) sshd refuses signal requests,
    /// so SSH.NET's cancel only completes the task after its 500 ms and closes the channel — and the command runs on.
    /// </summary>
    [Fact]
    public async Task Cancelling_a_running_command_on_a_forced_command_host_leaves_the_remote_process_running()
    {
        await using var server = await RealSshServer.StartAsync(forcedCommand: true);
        using var client = await ConnectAsync(server, server.HostKeyFingerprint);
        var pidFile = server.MarkerPath("pid");
        using var command = client.CreateCommand($"echo $$ > {pidFile}; exec sleep 30");
        using var cancel = new CancellationTokenSource();

        var running = command.ExecuteAsync(cancel.Token);
        var pid = await RemotePidAsync(pidFile);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.WaitAsync(Bounded));

        await Poll.UntilAsync(
            () => Task.FromResult(server.ServerLog().Contains("refusing to send signal TERM to forced-command session", StringComparison.Ordinal)),
            "sshd did not log its refusal of the signal",
            seconds: 10);
        Assert.Null(command.ExitSignal);
        Assert.True(IsRunning(pid), $"remote process {pid} ended; sshd delivered the signal after all");
    }

    /// <summary>
    /// Without a pty nothing sends the command SIGHUP when the connection ends, so dropping the connection (a gateway
    /// that crashes, or disposes the client instead of cancelling) leaves the command running on the host.
    /// </summary>
    [Fact]
    public async Task Disconnecting_without_cancel_leaves_the_remote_process_running()
    {
        await using var server = await RealSshServer.StartAsync(forcedCommand: false);
        var client = await ConnectAsync(server, server.HostKeyFingerprint);
        var pidFile = server.MarkerPath("pid");
        using var command = client.CreateCommand($"echo $$ > {pidFile}; exec sleep 30");
        _ = command.ExecuteAsync();
        var pid = await RemotePidAsync(pidFile);

        // Disposing the client does not complete ExecuteAsync's task: a caller must not await it after disposing.
        client.Dispose();

        await Poll.UntilAsync(
            () => Task.FromResult(server.ServerLog().Contains("Received disconnect from 127.0.0.1", StringComparison.Ordinal)),
            "sshd did not log the disconnect",
            seconds: 10);
        Assert.True(IsRunning(pid), $"remote process {pid} ended with the connection");
    }

    /// <summary>Connects with the fixture's client key, trusting only the host key whose fingerprint is <paramref name="pinned"/>.</summary>
    private static async Task<SshClient> ConnectAsync(RealSshServer server, string pinned, Action<string>? seen = null)
    {
        var key = new PrivateKeyFile(server.ClientPrivateKeyPath);
        var connection = new ConnectionInfo(server.Host, server.Port, server.User, new PrivateKeyAuthenticationMethod(server.User, key))
        {
            Timeout = TimeSpan.FromSeconds(10),
        };
        var client = new SshClient(connection);

        // e.FingerPrintSHA256 is "OyiY9r…ACkQ": unpadded base64 without "SHA256:"; ssh-keygen -l -E sha256 adds the prefix.
        client.HostKeyReceived += (_, e) =>
        {
            seen?.Invoke(e.FingerPrintSHA256);
            e.CanTrust = string.Equals("SHA256:" + e.FingerPrintSHA256, pinned, StringComparison.Ordinal);
        };
        try
        {
            using var deadline = new CancellationTokenSource(Bounded);
            await client.ConnectAsync(deadline.Token);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>The pid the command wrote with <c>echo $$</c>, once the whole line is there.</summary>
    private static async Task<int> RemotePidAsync(string pidFile)
    {
        var pid = 0;
        await Poll.UntilAsync(
            () => Task.FromResult(File.Exists(pidFile) && File.ReadAllText(pidFile).EndsWith('\n')
                && int.TryParse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture, out pid)),
            $"the command did not write its pid to {pidFile}",
            seconds: 10);
        return pid;
    }

    /// <summary>The process exists and is not a zombie waiting to be reaped.</summary>
    private static bool IsRunning(int pid)
    {
        try
        {
            // "/proc/PID/stat": "PID (comm) STATE …"; comm may contain spaces and parentheses, so read after the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return false;
        }
    }

    private static string ProcessName(int pid) => File.ReadAllText($"/proc/{pid}/comm").Trim();
}
