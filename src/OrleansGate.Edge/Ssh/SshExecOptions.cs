namespace OrleansGate.Edge.Ssh;

/// <summary>
/// Limits of the SSH path (section <c>OrleansGate:Ssh</c>): how long a command may run, how much of its output an agent
/// gets, and how long the gateway waits for a host. A command over either limit is killed.
/// </summary>
public sealed class SshExecOptions
{
    /// <summary>A command's time limit when the request names none.</summary>
    public TimeSpan DefaultTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The longest time limit a request may ask for.</summary>
    public TimeSpan MaxTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Output (stdout and stderr together) past this is not relayed: the command is killed and the answer says so.</summary>
    public long MaxOutputBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Connecting, the key exchange and logging in together.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The longest command line accepted (bytes of UTF-8).</summary>
    public int MaxCommandBytes { get; set; } = 16 * 1024;

    /// <summary>Why these settings cannot be used, or null.</summary>
    public string? Problem() =>
        DefaultTimeout <= TimeSpan.Zero || DefaultTimeout > MaxTimeout ? "OrleansGate:Ssh:DefaultTimeout must be positive and at most MaxTimeout"
        : MaxTimeout > TimeSpan.FromHours(24) ? "OrleansGate:Ssh:MaxTimeout must be at most 24 hours"
        : MaxOutputBytes is < 1024 or > 1024L * 1024 * 1024 ? $"OrleansGate:Ssh:MaxOutputBytes {MaxOutputBytes} is outside 1 KiB-1 GiB"
        : ConnectTimeout <= TimeSpan.Zero ? "OrleansGate:Ssh:ConnectTimeout must be positive"
        : MaxCommandBytes is < 64 or > 1024 * 1024 ? $"OrleansGate:Ssh:MaxCommandBytes {MaxCommandBytes} is outside 64-1048576"
        : null;
}
