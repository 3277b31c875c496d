using OrleansGate.Audit;
using OrleansGate.Model;

namespace OrleansGate.Audit.Tests;

/// <summary>The chain over a stand-in audit store (in memory) that can lose an answer after it wrote, or before.</summary>
public sealed class AuditChainTests
{
    private static readonly SessionInfo Session = TestSession.S1;

    private static AuditRecord Record(string text, int second) =>
        new(AuditEventKind.Completion, DateTimeOffset.UnixEpoch.AddSeconds(second), Session, null, text, null);

    [Fact]
    public async Task Records_sent_again_after_an_append_whose_answer_was_lost_but_which_landed_are_not_written_twice()
    {
        var store = new LosingAuditSinkStandIn();
        var chain = AuditChain.Start(store, "s1");
        await chain.AppendAsync(Record("first", 1));
        store.LoseNextAnswer = LostAnswer.AfterWriting;

        var c1 = Record("c1", 2);
        var c2 = Record("c2", 3);
        await Assert.ThrowsAsync<AuditUnavailableException>(() => chain.AppendAsync([c1, c2]));

        // The caller sends them again, now with a new record behind them.
        Assert.Equal(4, await chain.AppendAsync([c1, c2, Record("logout", 4)]));
        Assert.Equal(["first", "c1", "c2", "logout"], store.Rows.Select(r => r.Statement));
        Assert.Equal([1L, 2L, 3L, 4L], store.Rows.Select(r => r.SessionSeq));
    }

    [Fact]
    public async Task Records_sent_again_after_an_append_whose_answer_was_lost_and_which_did_not_land_are_written_once()
    {
        var store = new LosingAuditSinkStandIn { LoseNextAnswer = LostAnswer.BeforeWriting };
        var chain = AuditChain.Start(store, "s1");
        var c1 = Record("c1", 1);
        await Assert.ThrowsAsync<AuditUnavailableException>(() => chain.AppendAsync([c1, Record("statement", 2)]));

        Assert.Equal(2, await chain.AppendAsync([c1, Record("next", 3)]));
        Assert.Equal(["c1", "next"], store.Rows.Select(r => r.Statement));
    }

    [Fact]
    public async Task A_different_record_after_a_lost_answer_that_landed_goes_after_it()
    {
        var store = new LosingAuditSinkStandIn { LoseNextAnswer = LostAnswer.AfterWriting };
        var chain = AuditChain.Start(store, "s1");
        await Assert.ThrowsAsync<AuditUnavailableException>(() => chain.AppendAsync(Record("refused statement", 1)));

        Assert.Equal(2, await chain.AppendAsync(Record("retried statement", 2)));
        Assert.Equal(["refused statement", "retried statement"], store.Rows.Select(r => r.Statement));
        Assert.Equal(store.Rows[0].Hash, store.Rows[1].PrevHash);
    }

    [Fact]
    public async Task A_definite_failure_keeps_the_head_without_reading_it_back()
    {
        var store = new LosingAuditSinkStandIn { LoseNextAnswer = LostAnswer.Refused };
        var chain = AuditChain.Start(store, "s1");
        await Assert.ThrowsAsync<AuditUnavailableException>(() => chain.AppendAsync(Record("refused", 1)));

        Assert.Equal(1, await chain.AppendAsync(Record("next", 2)));
        Assert.Equal(0, store.HeadReads);
    }
}
