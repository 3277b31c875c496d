using Orleans.Runtime;
using Orleans.Runtime.Messaging;
using OrleansGate.Audit;
using OrleansGate.Audit.Cluster;
using OrleansGate.Model;

namespace OrleansGate.Audit.Tests;

/// <summary>
/// The edge-only node's sink when the way to a silo fails mid-call (a silo killed under it): settled at once by reading the
/// chain's head through the silos that are left, never written twice.
/// </summary>
public sealed class ClusterAuditSinkTests
{
    private static readonly SessionInfo Session = TestSession.S1;

    private static AuditRow Row(long seq, string prevHash) =>
        AuditRow.Create(new AuditRecord(AuditEventKind.Completion, DateTimeOffset.UnixEpoch.AddSeconds(seq), Session, null, $"r{seq}", null), "s1", seq, prevHash);

    [Fact]
    public async Task Rows_whose_call_broke_after_they_were_written_are_found_at_the_head_and_not_sent_again()
    {
        var silos = new AuditIngestStandIn { BreakNext = (Written: true, Failure: new SiloUnavailableException("silo went")) };
        var sink = new ClusterAuditSink(() => silos, TimeProvider.System);
        var first = Row(1, AuditRow.GenesisHash);

        await sink.AppendAsync([first, Row(2, first.Hash)]);

        Assert.Equal([1L, 2L], silos.Rows.Select(r => r.SessionSeq));
        Assert.Equal((1, 1), (silos.Appends, silos.HeadReads));
    }

    [Fact]
    public async Task Rows_whose_call_broke_before_they_were_written_are_sent_again_once()
    {
        var silos = new AuditIngestStandIn { BreakNext = (Written: false, Failure: new ConnectionFailedException("gateway connection closed")) };
        var sink = new ClusterAuditSink(() => silos, TimeProvider.System);

        await sink.AppendAsync(Row(1, AuditRow.GenesisHash));

        Assert.Equal([1L], silos.Rows.Select(r => r.SessionSeq));
        Assert.Equal((2, 1), (silos.Appends, silos.HeadReads));
    }

    [Fact]
    public async Task A_head_read_broken_on_the_way_too_is_asked_again_after_the_next_pause()
    {
        var silos = new AuditIngestStandIn { BreakNext = (Written: true, Failure: new SiloUnavailableException("silo went")), BrokenHeadReads = 2 };
        var sink = new ClusterAuditSink(() => silos, TimeProvider.System);

        await sink.AppendAsync(Row(1, AuditRow.GenesisHash));

        Assert.Equal([1L], silos.Rows.Select(r => r.SessionSeq));
        Assert.Equal((1, 3), (silos.Appends, silos.HeadReads));
    }

    [Fact]
    public async Task A_way_still_broken_after_the_last_pause_is_reported_with_an_unknown_outcome()
    {
        // The real schedule's number of rounds, with short pauses.
        var silos = new AuditIngestStandIn { BreakNext = (Written: false, Failure: new SiloUnavailableException("silo went")), BrokenHeadReads = ClusterAuditSink.Settlement.Count };
        var sink = new ClusterAuditSink(() => silos, TimeProvider.System, [.. ClusterAuditSink.Settlement.Select(_ => TimeSpan.FromMilliseconds(10))]);

        var error = await Assert.ThrowsAsync<AuditUnavailableException>(() => sink.AppendAsync(Row(1, AuditRow.GenesisHash)).AsTask());

        Assert.True(error.OutcomeUnknown);
        Assert.Empty(silos.Rows);
        Assert.Equal((1, ClusterAuditSink.Settlement.Count), (silos.Appends, silos.HeadReads));
    }

    [Fact]
    public async Task A_call_that_timed_out_is_settled_by_the_head_and_a_late_landing_is_never_written_twice()
    {
        // The silo held the call and never answered (killed); the rows had not landed: sent again, once.
        var silos = new AuditIngestStandIn { BreakNext = (Written: false, Failure: new TimeoutException("response timeout")) };
        var sink = new ClusterAuditSink(() => silos, TimeProvider.System);
        await sink.AppendAsync(Row(1, AuditRow.GenesisHash));
        Assert.Equal([1L], silos.Rows.Select(r => r.SessionSeq));
        Assert.Equal((2, 1), (silos.Appends, silos.HeadReads));

        // A slow silo whose write lands between the head read and the second send: the store refuses the second.
        var slow = new AuditIngestStandIn { BreakNext = (Written: false, Failure: new TimeoutException("response timeout")) };
        var row = Row(1, AuditRow.GenesisHash);
        slow.OnHeadRead = () => slow.Rows.Add(row);
        slow.HeadBeforeLanding = true;
        var refused = await Assert.ThrowsAsync<AuditUnavailableException>(() => new ClusterAuditSink(() => slow, TimeProvider.System).AppendAsync(row).AsTask());
        Assert.True(refused.StaleHead);
        Assert.Equal([row], slow.Rows);
    }

    [Fact]
    public async Task A_call_held_by_a_stopped_silo_is_given_up_after_the_attempt_timeout_and_the_rows_sent_once_more()
    {
        // A stopped silo holds the append, and the first head read too (routed through it before the probe left it out).
        var silos = new AuditIngestStandIn { HeldAppends = 1, HeldHeadReads = 1 };
        var sink = new ClusterAuditSink(() => silos, TimeProvider.System, [TimeSpan.Zero, TimeSpan.Zero], attemptTimeout: TimeSpan.FromMilliseconds(50));

        await sink.AppendAsync(Row(1, AuditRow.GenesisHash));

        Assert.Equal([1L], silos.Rows.Select(r => r.SessionSeq));
        Assert.Equal((2, 2), (silos.Appends, silos.HeadReads));
    }

    [Fact]
    public async Task Calls_held_through_every_round_are_reported_with_an_unknown_outcome()
    {
        var silos = new AuditIngestStandIn { HeldAppends = 1, HeldHeadReads = int.MaxValue };
        var sink = new ClusterAuditSink(() => silos, TimeProvider.System, [TimeSpan.Zero, TimeSpan.Zero], attemptTimeout: TimeSpan.FromMilliseconds(20));

        var error = await Assert.ThrowsAsync<AuditUnavailableException>(() => sink.AppendAsync(Row(1, AuditRow.GenesisHash)).AsTask());

        Assert.True(error.OutcomeUnknown);
        Assert.Empty(silos.Rows);
        Assert.Equal((1, 2), (silos.Appends, silos.HeadReads));
    }

    [Fact]
    public async Task A_head_that_is_neither_the_rows_nor_what_they_link_to_is_reported_with_an_unknown_outcome()
    {
        var other = Row(1, AuditRow.GenesisHash) with { Hash = new string('f', 64) };
        var silos = new AuditIngestStandIn { BreakNext = (Written: false, Failure: new SiloUnavailableException("silo went")) };
        silos.Rows.Add(other); // another writer of this chain got there first
        var sink = new ClusterAuditSink(() => silos, TimeProvider.System);

        var error = await Assert.ThrowsAsync<AuditUnavailableException>(() => sink.AppendAsync(Row(2, Row(1, AuditRow.GenesisHash).Hash)).AsTask());

        Assert.True(error.OutcomeUnknown);
        Assert.Equal([other], silos.Rows);
    }

    /// <summary>
    /// A stand-in for the silos' ingest grain, in memory: a call that breaks after the rows were written cannot be produced
    /// on demand against a real cluster. Keeps one chain and refuses a fork, as the store's unique key does.
    /// </summary>
    private sealed class AuditIngestStandIn : IAuditIngestGrain
    {
        public List<AuditRow> Rows { get; } = [];

        public (bool Written, Exception Failure)? BreakNext { get; set; }

        public int Appends { get; private set; }

        public int HeadReads { get; private set; }

        /// <summary>Head reads that fail on the way (a silo still unreachable), before they answer.</summary>
        public int BrokenHeadReads { get; set; }

        /// <summary>Runs at a head read (a slow silo's write landing then).</summary>
        public Action? OnHeadRead { get; set; }

        /// <summary>The head read answers with the head as it was before <see cref="OnHeadRead"/> ran.</summary>
        public bool HeadBeforeLanding { get; set; }

        /// <summary>Appends held and never answered (a stopped silo), before they answer; their rows are not written.</summary>
        public int HeldAppends { get; set; }

        /// <summary>Head reads held and never answered, before they answer.</summary>
        public int HeldHeadReads { get; set; }

        public Task Append(AuditRow[] rows)
        {
            Appends++;
            if (HeldAppends > 0)
            {
                HeldAppends--;
                return new TaskCompletionSource().Task;
            }

            var head = Rows.Count == 0 ? 0 : Rows[^1].SessionSeq;
            if (rows[0].SessionSeq != head + 1)
            {
                return Task.FromException(new AuditUnavailableException("audit chain conflict") { StaleHead = true });
            }

            if (BreakNext is { } broken)
            {
                BreakNext = null;
                if (broken.Written)
                {
                    Rows.AddRange(rows);
                }

                return Task.FromException(broken.Failure);
            }

            Rows.AddRange(rows);
            return Task.CompletedTask;
        }

        public Task<AuditChainHead?> ReadHead(string chainId)
        {
            HeadReads++;
            if (HeldHeadReads > 0)
            {
                HeldHeadReads--;
                return new TaskCompletionSource<AuditChainHead?>().Task;
            }

            if (BrokenHeadReads > 0)
            {
                BrokenHeadReads--;
                return Task.FromException<AuditChainHead?>(new ConnectionFailedException("gateway still unreachable"));
            }

            var head = Rows.Count == 0 ? (AuditChainHead?)null : new AuditChainHead(Rows[^1].SessionSeq, Rows[^1].Hash);
            OnHeadRead?.Invoke();
            if (!HeadBeforeLanding)
            {
                head = Rows.Count == 0 ? null : new AuditChainHead(Rows[^1].SessionSeq, Rows[^1].Hash);
            }

            return Task.FromResult(head);
        }

        public Task Probe() => Task.CompletedTask;
    }
}
