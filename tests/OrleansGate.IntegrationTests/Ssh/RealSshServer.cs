using System.Diagnostics;
using System.Globalization;
using System.Runtime.Versioning;
using System.Text;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Ssh;

/// <summary>
/// A real OpenSSH server (Debian's <c>/usr/sbin/sshd</c>) on loopback, with its own host key, one authorized client key
/// for the gateway, and its own log of every command it was asked to run — so a test can prove that a denied command
/// never reached the host.
/// </summary>
/// <remarks>
/// Each instance has its own temp dir and port, so tests using it run in parallel with anything. The command log is
/// written on the host side, before the command runs, in one of two ways:
/// <list type="number">
/// <item><b>Forced command</b> (<see cref="StartAsync()"/>): the key's authorized_keys line is
/// <c>command="…/record-and-run.sh",no-pty,…</c>; the script records <c>$SSH_ORIGINAL_COMMAND</c> and runs it with
/// <c>/bin/sh -c</c>. sshd refuses "signal" channel requests for forced-command sessions ("refusing to send signal TERM
/// to forced-command session"), so on such a host a client cannot stop a running command.</item>
/// <item><b>Plain key</b> (<c>StartAsync(forcedCommand: false)</c>): the authorized_keys line is only the key, as on a
/// host set up by our docs, and sshd runs the command with the user's login shell, <c>/bin/bash -c</c>. bash sources
/// <c>$BASH_ENV</c> (set by sshd's <c>SetEnv</c>) before the command, and that file records
/// <c>$BASH_EXECUTION_STRING</c>. Signals reach the command here. <c>SHLVL=1</c> is needed because Debian's bash, run by
/// sshd at shell level 1, reads ~/.bashrc instead of <c>$BASH_ENV</c>.</item>
/// </list>
/// The login user is <c>orleansgate-ssh</c>, not root: see <see cref="LoginUser"/>. sshd itself runs as root, with
/// <c>-D -e</c> (foreground, log to stderr).
/// </remarks>
[SupportedOSPlatform("linux")]
public sealed class RealSshServer : IAsyncDisposable
{
    private const string Sshd = "/usr/sbin/sshd";
    private const string SshKeygen = "ssh-keygen";

    /// <summary>
    /// Not root: sshd runs a root session in its privileged monitor and refuses "signal" requests to it ("session
    /// signalling requires privilege separation"), so cancel could not be tested as root. Created once, left in place.
    /// </summary>
    private const string LoginUser = "orleansgate-ssh";

    /// <summary>Every session process carries this in its environment (sshd's SetEnv), so disposal finds the ones sshd left behind.</summary>
    private const string MarkerVariable = "ORLEANSGATE_SSH_FIXTURE";

    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(10);

    private readonly Process _sshd;
    private readonly SshdOutput _output;

    private RealSshServer(string directory, int port, Process sshd, SshdOutput output, string hostKeyFingerprint, string otherHostKeyFingerprint)
    {
        Directory = directory;
        Port = port;
        _sshd = sshd;
        _output = output;
        HostKeyFingerprint = hostKeyFingerprint;
        OtherHostKeyFingerprint = otherHostKeyFingerprint;
    }

    public string Host => "127.0.0.1";

    public int Port { get; }

    /// <summary>The login user, <c>orleansgate-ssh</c>: an ordinary account with /bin/bash (see <see cref="LoginUser"/>).</summary>
    public string User => LoginUser;

    /// <summary>"SHA256:…" (unpadded base64), exactly as <c>ssh-keygen -l -E sha256 -f host_key.pub</c> prints it.</summary>
    public string HostKeyFingerprint { get; }

    /// <summary>The fingerprint of a key this server does not have, for host-key mismatch tests.</summary>
    public string OtherHostKeyFingerprint { get; }

    /// <summary>The host key's public line, "ssh-ed25519 AAAA… comment" (known_hosts form without the host name).</summary>
    public string HostPublicKeyLine => File.ReadAllText(Path.Combine(Directory, "host_key.pub")).Trim();

    /// <summary>The gateway's ed25519 key in OpenSSH format, no passphrase, root's, mode 0600.</summary>
    public string ClientPrivateKeyPath => Path.Combine(Directory, "client_key");

    public string ClientPrivateKeyText => File.ReadAllText(ClientPrivateKeyPath);

    public string Directory { get; }

    /// <summary>True for the forced-command authorized key (see remarks); false for a plain one.</summary>
    public bool ForcedCommand => File.Exists(Path.Combine(Directory, "record-and-run.sh"));

    private string CommandLog => Path.Combine(Directory, "commands.log");

    /// <summary>A path in this server's dir for a marker file a command would create (and a test expects not to).</summary>
    public string MarkerPath(string name) => Path.Combine(Directory, "markers", name);

    /// <summary>
    /// A <c>targets:</c> entry of kind ssh for this server, indented for a policy file's targets (4 spaces for its keys):
    /// its address, user, pinned host key (<paramref name="hostKey"/> to pin another) and the gateway's key file.
    /// </summary>
    public string TargetYaml(string name, string? hostKey = null, string? keyFile = null) => $"""
          {name}:
            kind: ssh
            host: {Host}
            port: {Port}
            user: {User}
            host_key: "{hostKey ?? HostKeyFingerprint}"
            key_file: {keyFile ?? ClientPrivateKeyPath}
        """;

    /// <summary>The commands the host was asked to run, in order, exactly as the client sent them.</summary>
    public IReadOnlyList<string> CommandsReceived()
    {
        if (!File.Exists(CommandLog))
        {
            return [];
        }

        // One base64 record per line: a command may itself contain newlines.
        return File.ReadAllLines(CommandLog, Encoding.ASCII)
            .Select(line => Encoding.UTF8.GetString(Convert.FromBase64String(line)))
            .ToList();
    }

    /// <summary>What sshd has logged so far (LogLevel VERBOSE, on stderr): connections, accepted keys, refusals.</summary>
    public string ServerLog() => _output.Text;

    public static Task<RealSshServer> StartAsync() => StartAsync(forcedCommand: true);

    public static async Task<RealSshServer> StartAsync(bool forcedCommand)
    {
        await EnsureLoginUserAsync();
        var directory = System.IO.Directory.CreateTempSubdirectory("orleansgate-sshd-").FullName;
        try
        {
            System.IO.Directory.CreateDirectory(Path.Combine(directory, "markers"));
            File.WriteAllText(Path.Combine(directory, "commands.log"), "");
            var host = await GenerateKeyAsync(directory, "host_key", "orleansgate-test-host");
            await GenerateKeyAsync(directory, "client_key", "orleansgate-gateway");
            var other = await GenerateKeyAsync(directory, "other_host_key", "orleansgate-test-other-host");
            File.SetUnixFileMode(Path.Combine(directory, "client_key"), UnixFileMode.UserRead | UnixFileMode.UserWrite);

            var clientPublicKey = File.ReadAllText(Path.Combine(directory, "client_key.pub")).Trim();
            var environment = $"{MarkerVariable}={directory}";
            if (forcedCommand)
            {
                var script = WriteScript(directory, "record-and-run.sh", $"""
                    #!/bin/sh
                    # Records the command the client asked for (base64, one line: it may contain newlines), then runs it.
                    record=$(printf '%s' "$SSH_ORIGINAL_COMMAND" | base64 -w0)
                    printf '%s\n' "$record" >> '{directory}/commands.log'
                    exec /bin/sh -c "$SSH_ORIGINAL_COMMAND"
                    """);
                File.WriteAllText(
                    Path.Combine(directory, "authorized_keys"),
                    $"command=\"{script}\",no-pty,no-port-forwarding,no-agent-forwarding,no-X11-forwarding {clientPublicKey}\n");
            }
            else
            {
                var hook = WriteScript(directory, "record.bash", $"""
                    # Sourced by bash (BASH_ENV) before `bash -c COMMAND`; records COMMAND, base64, one line.
                    printf '%s\n' "$(printf '%s' "$BASH_EXECUTION_STRING" | base64 -w0)" >> '{directory}/commands.log'
                    unset BASH_ENV
                    """);
                File.WriteAllText(Path.Combine(directory, "authorized_keys"), clientPublicKey + "\n");
                environment += $" SHLVL=1 BASH_ENV={hook}";
            }

            // The login user reads authorized_keys (sshd opens it as the user), appends to commands.log, writes markers;
            // the keys stay root's, mode 0600.
            await ChangeOwnerAsync(directory, "markers", "commands.log", "authorized_keys");

            // sshd's privilege-separation dir; Debian's package creates it only when its service starts.
            System.IO.Directory.CreateDirectory("/run/sshd");
            File.SetUnixFileMode(
                "/run/sshd",
                UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
                    | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

            // FreePort's port may be bound by a process that does not reserve ports before sshd gets it: try another.
            for (var attempt = 1; ; attempt++)
            {
                var port = FreePort.Next();
                WriteConfig(directory, port, environment);
                var (sshd, output) = StartSshd(directory);
                var ready = await output.WaitUntilListeningAsync(ReadyTimeout);
                if (ready)
                {
                    return new RealSshServer(directory, port, sshd, output, host, other);
                }

                await StopAsync(sshd, directory);
                if (attempt == 3 || !output.Text.Contains("Address already in use", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException(
                        $"sshd did not report \"Server listening on 127.0.0.1 port {port}\" within {ReadyTimeout.TotalSeconds:0}s; its output:\n{output.Text}");
                }
            }
        }
        catch
        {
            System.IO.Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(_sshd, Directory);
        _sshd.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    /// <summary>Generates an ed25519 key pair without passphrase; returns its "SHA256:…" fingerprint.</summary>
    private static async Task<string> GenerateKeyAsync(string directory, string name, string comment)
    {
        var path = Path.Combine(directory, name);
        var generated = await ExternalCommand.RunAsync(SshKeygen, ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path], ToolTimeout);
        Assert.True(generated.ExitCode == 0, generated.ToString());

        // "256 SHA256:OyiY9r6mqKfp8LFN0fzNkvssCUBik/Mvg7dCfONACkQ comment (ED25519)"
        var listed = await ExternalCommand.RunAsync(SshKeygen, ["-l", "-E", "sha256", "-f", path + ".pub"], ToolTimeout);
        var fields = listed.StandardOutput.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(listed.ExitCode == 0 && fields.Length >= 2 && fields[1].StartsWith("SHA256:", StringComparison.Ordinal), listed.ToString());
        return fields[1];
    }

    private static async Task EnsureLoginUserAsync()
    {
        if ((await ExternalCommand.RunAsync("getent", ["passwd", LoginUser], ToolTimeout)).ExitCode == 0)
        {
            return;
        }

        // A home that exists: sshd tells the client "Could not chdir to home directory" on stderr otherwise. Password "*"
        // (none can match) rather than useradd's "!": with UsePAM no, sshd refuses a "!" (locked) account even a key.
        var added = await ExternalCommand.RunAsync(
            "useradd",
            ["--system", "--user-group", "--create-home", "--home-dir", $"/var/lib/{LoginUser}", "--shell", "/bin/bash", "--password", "*", LoginUser],
            ToolTimeout);
        const int AlreadyExists = 9; // another test process added it meanwhile
        Assert.True(added.ExitCode is 0 or AlreadyExists, added.ToString());
    }

    private static async Task ChangeOwnerAsync(string directory, params string[] names)
    {
        var changed = await ExternalCommand.RunAsync(
            "chown",
            [$"{LoginUser}:{LoginUser}", directory, .. names.Select(name => Path.Combine(directory, name))],
            ToolTimeout);
        Assert.True(changed.ExitCode == 0, changed.ToString());
    }

    private static string WriteScript(string directory, string name, string text)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, text.ReplaceLineEndings("\n") + "\n");
        File.SetUnixFileMode(
            path,
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
                | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        return path;
    }

    private static void WriteConfig(string directory, int port, string environment)
    {
        var config = $"""
            ListenAddress 127.0.0.1
            Port {port.ToString(CultureInfo.InvariantCulture)}
            HostKey {directory}/host_key
            PidFile {directory}/sshd.pid
            AuthorizedKeysFile {directory}/authorized_keys
            # The temp dir's modes are the fixture's business; StrictModes would also check /tmp and its sticky bit.
            StrictModes no
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PubkeyAuthentication yes
            PermitRootLogin no
            UsePAM no
            AllowUsers {LoginUser}
            LogLevel VERBOSE
            UseDNS no
            PrintMotd no
            PrintLastLog no
            X11Forwarding no
            AllowTcpForwarding no
            AllowAgentForwarding no
            PermitTunnel no
            SetEnv {environment}
            """;
        File.WriteAllText(Path.Combine(directory, "sshd_config"), config.ReplaceLineEndings("\n") + "\n");
    }

    private static (Process Sshd, SshdOutput Output) StartSshd(string directory)
    {
        // -D: stay in the foreground, so this Process is sshd itself; -e: log to stderr, where readiness is read.
        var info = new ProcessStartInfo(Sshd)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-D", "-e", "-f", Path.Combine(directory, "sshd_config") })
        {
            info.ArgumentList.Add(argument);
        }

        var sshd = Process.Start(info) ?? throw new InvalidOperationException($"{Sshd} did not start");
        sshd.StandardInput.Close();
        return (sshd, SshdOutput.Read(sshd));
    }

    /// <summary>
    /// Kills sshd with what it started. A session's command is in its own session (sshd calls setsid) and outlives its
    /// sshd process when that exits first; every session carries <see cref="MarkerVariable"/>, so those are found too.
    /// </summary>
    private static async Task StopAsync(Process sshd, string directory)
    {
        if (!sshd.HasExited)
        {
            sshd.Kill(entireProcessTree: true);
        }

        var pidFile = Path.Combine(directory, "sshd.pid");
        if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture, out var pid) && pid != sshd.Id)
        {
            KillQuietly(pid);
        }

        var marker = Encoding.UTF8.GetBytes($"{MarkerVariable}={directory}\0");
        foreach (var process in System.IO.Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(process), CultureInfo.InvariantCulture, out var candidate)
                && candidate != Environment.ProcessId
                && ReadEnvironment(candidate).AsSpan().IndexOf(marker) >= 0)
            {
                KillQuietly(candidate);
            }
        }

        using var deadline = new CancellationTokenSource(ExitTimeout);
        await sshd.WaitForExitAsync(deadline.Token);
    }

    private static byte[] ReadEnvironment(int pid)
    {
        try
        {
            return File.ReadAllBytes($"/proc/{pid}/environ");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return []; // exited meanwhile, or a kernel thread
        }
    }

    private static void KillQuietly(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
    }

    /// <summary>sshd's stderr, read as it comes; readiness is its "Server listening" line, not a delay.</summary>
    private sealed class SshdOutput
    {
        private readonly StringBuilder _text = new();
        private readonly TaskCompletionSource<bool> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Text
        {
            get
            {
                lock (_text)
                {
                    return _text.ToString();
                }
            }
        }

        public static SshdOutput Read(Process sshd)
        {
            var output = new SshdOutput();
            sshd.ErrorDataReceived += (_, e) => output.Add(e.Data);
            sshd.OutputDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    output.Add(e.Data); // sshd -e writes nothing here; its end is stderr's
                }
            };
            sshd.BeginErrorReadLine();
            sshd.BeginOutputReadLine();
            return output;
        }

        /// <summary>True once sshd listens; false when it exits (stderr closes) or <paramref name="timeout"/> passes first.</summary>
        public async Task<bool> WaitUntilListeningAsync(TimeSpan timeout)
        {
            try
            {
                return await _listening.Task.WaitAsync(timeout);
            }
            catch (TimeoutException)
            {
                return false;
            }
        }

        private void Add(string? line)
        {
            if (line is null)
            {
                _listening.TrySetResult(false); // end of output: sshd exited
                return;
            }

            lock (_text)
            {
                _text.AppendLine(line);
            }

            // "Server listening on 127.0.0.1 port 23456." — only one ListenAddress, so the first such line is ours.
            if (line.StartsWith("Server listening on 127.0.0.1 port ", StringComparison.Ordinal))
            {
                _listening.TrySetResult(true);
            }
        }
    }
}
