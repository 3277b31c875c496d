using OrleansGate.Grains.Sessions;
using OrleansGate.Model;

namespace OrleansGate.Grains.Tests.Sessions;

public sealed class CompletionLedgerTests
{
    private static StatementCompletion C(long number) => new(1, DateTimeOffset.UnixEpoch, 1, 10, StatementCompletion.Ok) { Number = number };

    private static long[] Numbers(IReadOnlyList<StatementCompletion> completions) => [.. completions.Select(c => c.Number)];

    [Fact]
    public void Completions_sent_again_after_they_were_written_are_not_new()
    {
        var ledger = new CompletionLedger();
        ledger.Written([C(1), C(2), C(3)]);

        Assert.Equal([4L], Numbers(ledger.New([C(2), C(3), C(4)])));
    }

    [Fact]
    public void Completions_written_out_of_order_are_remembered_until_the_gap_below_them_closes()
    {
        var ledger = new CompletionLedger();

        // A statement carried 4 and 5 while a flush of 1..3 was still out; then the flush landed.
        ledger.Written([C(4), C(5)]);
        Assert.Equal([1L, 2L, 3L, 6L], Numbers(ledger.New([C(1), C(2), C(3), C(4), C(5), C(6)])));
        ledger.Written([C(1), C(2), C(3)]);

        Assert.Equal([6L], Numbers(ledger.New([C(3), C(5), C(6)])));
    }

    [Fact]
    public void Completions_without_a_number_are_always_new()
    {
        var ledger = new CompletionLedger();
        ledger.Written([C(0), C(1)]);

        Assert.Equal([0L], Numbers(ledger.New([C(0), C(1)])));
    }

    [Fact]
    public void Nothing_written_before_means_everything_is_new_and_the_same_list_comes_back()
    {
        var ledger = new CompletionLedger();
        IReadOnlyList<StatementCompletion> sent = [C(1), C(2)];

        Assert.Same(sent, ledger.New(sent));
    }
}
