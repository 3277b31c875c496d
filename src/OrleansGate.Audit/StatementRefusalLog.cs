namespace OrleansGate.Audit;

/// <summary>
/// One per node: requests refused because their record could not be written are logged once when the audit
/// store goes away, then summarised once a minute with a count, and once more when it is back, instead of one
/// line per refused statement (a busy silo refuses thousands a second during an outage).
/// </summary>
public sealed class StatementRefusalLog(TimeProvider time)
{
    private readonly OutageLog _outage = new(time, TimeSpan.FromMinutes(1));

    /// <summary>Counts a refusal; its kind says whether to log it (the first of an outage, or a summary).</summary>
    public OutageReport Refused() => _outage.Failed();

    /// <summary>After a record was written: the outage's figures once, when refusals had been counted.</summary>
    public OutageReport? Recovered() => _outage.Recovered();
}
