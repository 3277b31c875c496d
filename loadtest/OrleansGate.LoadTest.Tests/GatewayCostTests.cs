namespace OrleansGate.LoadTest.Tests;

public sealed class GatewayCostTests
{
    private static readonly RuntimeCounters Before = new(1_000_000, 10, 2, 1, 0);

    private static AuditStoreSnapshot Snapshot(long lastSeq, params (int Pid, long Ticks)[] backends) =>
        new(lastSeq, backends.ToDictionary(b => b.Pid, b => b.Ticks));

    [Fact]
    public void Allocations_and_collections_are_divided_by_the_run_s_statements()
    {
        var cost = GatewayCost.Between(20_000, Before, new RuntimeCounters(41_000_000, 15, 3, 1, 0), null, null, null);

        Assert.Equal(2_000, cost.BytesPerStatement);
        Assert.Equal(0.25, cost.CollectionsPerThousand);
        Assert.Equal(0, cost.Gen2Collections);
    }

    [Fact]
    public void Without_an_audit_store_the_audit_figures_are_absent_not_zero()
    {
        var cost = GatewayCost.Between(100, Before, Before, null, null, null);

        Assert.Null(cost.AuditRowsPerStatement);
        Assert.Null(cost.AuditStoreMicrosPerRow);
    }

    [Fact]
    public void Audit_store_cpu_is_divided_by_audit_rows_and_rows_by_statements()
    {
        // Two writers' backends use 30 and 20 ticks (USER_HZ 100: 0.5 s) for 10,000 rows of 5,000 statements.
        var cost = GatewayCost.Between(5_000, Before, Before, Snapshot(7, (101, 100), (102, 50)), Snapshot(9, (101, 130), (102, 70)), 10_000);

        Assert.Equal(2.0, cost.AuditRowsPerStatement);
        Assert.Equal(50.0, cost.AuditStoreMicrosPerRow!.Value, 6);
        Assert.Equal(2, cost.AuditBackends);
    }

    [Fact]
    public void A_run_with_no_statements_or_rows_divides_by_nothing()
    {
        var cost = GatewayCost.Between(0, Before, new RuntimeCounters(2_000_000, 11, 2, 1, 0), Snapshot(1, (101, 5)), Snapshot(1, (101, 9)), 0);

        Assert.Equal(0, cost.BytesPerStatement);
        Assert.Equal(0, cost.CollectionsPerThousand);
        Assert.Null(cost.AuditRowsPerStatement);
        Assert.Null(cost.AuditStoreMicrosPerRow);
    }

    [Fact]
    public void A_backend_started_during_the_run_counts_from_zero_and_one_that_ended_is_reported_lost()
    {
        var (ticks, backends, lost) = AuditStoreSnapshot.CpuTicksBetween(
            Snapshot(0, (101, 100), (102, 50)),
            Snapshot(0, (101, 110), (103, 25)));

        Assert.Equal(10 + 25, ticks);
        Assert.Equal(2, backends);
        Assert.Equal(1, lost);
    }

    [Fact]
    public void A_reused_pid_with_fewer_ticks_counts_as_a_new_backend()
    {
        var (ticks, _, lost) = AuditStoreSnapshot.CpuTicksBetween(Snapshot(0, (101, 500)), Snapshot(0, (101, 40)));

        Assert.Equal(40, ticks);
        Assert.Equal(0, lost);
    }
}
