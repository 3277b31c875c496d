namespace OrleansGate.Audit;

/// <summary>What <see cref="OutageLog"/> says about one failure or recovery: whether to log, and the outage's figures so far.</summary>
public readonly record struct OutageReport(OutageLogKind Kind, long Failures, TimeSpan Duration);
