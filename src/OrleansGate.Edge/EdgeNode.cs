namespace OrleansGate.Edge;

/// <summary>This process's name in audit records and session registrations.</summary>
public sealed class EdgeNode(string name)
{
    public string Name { get; } = name;

    public static EdgeNode FromEnvironment(string? configured) =>
        new(string.IsNullOrWhiteSpace(configured) ? $"{Environment.MachineName}:{Environment.ProcessId}" : configured);
}
