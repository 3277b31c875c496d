namespace OrleansGate.Host.Hosting;

/// <summary>The graceful drain on SIGTERM (section <c>OrleansGate:Drain</c>; docs/operations.md).</summary>
public sealed class DrainOptions
{
    /// <summary>
    /// How long sessions may take to reach a transaction boundary once the drain has begun; then the rest are ended with
    /// 57P01 and their transactions rolled back. 0 ends every session at once. The host's shutdown timeout is raised to
    /// this plus <see cref="GatewayHost.ShutdownMargin"/> when it is shorter.
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>What is wrong with these settings, or null.</summary>
    public string? Problem() => Timeout < TimeSpan.Zero
        ? $"OrleansGate:Drain:Timeout must not be negative (it is {Timeout})"
        : null;
}
