namespace OrleansGate.Host.Hosting;

/// <summary>The state database's connection string, which every role has (silos keep state there; edges find the silos).</summary>
public sealed record StateConnectionString(string Value);
