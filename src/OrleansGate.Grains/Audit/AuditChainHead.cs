namespace OrleansGate.Grains.Audit;

/// <summary>The last durable record of a chain: its number in the chain and its hash.</summary>
public readonly record struct AuditChainHead(long SessionSeq, string Hash);
