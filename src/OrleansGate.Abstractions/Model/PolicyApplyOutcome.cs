namespace OrleansGate.Model;

public enum PolicyApplyOutcome
{
    /// <summary>Stored as a new version and pushed to subscribers.</summary>
    Applied = 0,

    /// <summary>The text equals the current policy's: nothing changed.</summary>
    Unchanged = 1,

    /// <summary>The text failed validation: nothing changed; see the error.</summary>
    Invalid = 2,

    /// <summary>Not applied: the change could not be audited or stored (audit store or state database unavailable); nothing changed; retry.</summary>
    Unavailable = 3,
}
