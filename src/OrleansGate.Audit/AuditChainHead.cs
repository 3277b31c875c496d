namespace OrleansGate.Audit;

/// <summary>The last durable record of a chain: its number in the chain and its hash.</summary>
[GenerateSerializer, Immutable]
public readonly record struct AuditChainHead([property: Id(0)] long SessionSeq, [property: Id(1)] string Hash);
