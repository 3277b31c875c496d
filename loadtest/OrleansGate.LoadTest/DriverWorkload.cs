namespace OrleansGate.LoadTest;

/// <summary>The driver's own workloads, run through Npgsql (extended protocol).</summary>
public enum DriverWorkload
{
    /// <summary>pgbench -S's statement: one point select on pgbench_accounts, parsed every time (unnamed statement).</summary>
    Select,

    /// <summary>80 % point selects, 20 % single-row updates of pgbench_accounts, each in its own transaction.</summary>
    ReadWrite,

    /// <summary>The read/write mix with both statements prepared once per session: Bind/Execute only afterwards.</summary>
    Prepared,
}
