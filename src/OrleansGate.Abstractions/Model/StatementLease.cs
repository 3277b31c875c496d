namespace OrleansGate.Model;

/// <summary>
/// The agent grain's answer to an edge asking for statement tokens: <paramref name="Granted"/> tokens (0 when the agent's
/// rate is spent), and when the bucket holds a token again (<paramref name="RetryAfter"/>, zero when some were granted).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record StatementLease([property: Id(0)] int Granted, [property: Id(1)] TimeSpan RetryAfter);
