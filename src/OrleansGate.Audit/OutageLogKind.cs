namespace OrleansGate.Audit;

public enum OutageLogKind
{
    /// <summary>Counted only: the outage was logged recently.</summary>
    None = 0,

    /// <summary>The first failure of an outage.</summary>
    First = 1,

    /// <summary>A periodic summary with the count so far.</summary>
    Summary = 2,

    /// <summary>The store answers again.</summary>
    Recovered = 3,
}
