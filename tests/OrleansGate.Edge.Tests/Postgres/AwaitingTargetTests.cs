using OrleansGate.Edge.Classification;
using OrleansGate.Edge.Postgres;
using OrleansGate.Model;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.Edge.Tests.Postgres;

public sealed class AwaitingTargetTests
{
    private static readonly Decision Allowed = new(DecisionEffect.Allow, "test", "allowed", 1, 0);

    [Fact]
    public void A_name_nothing_pending_touches_is_left_to_the_confirmed_table()
    {
        var awaiting = new AwaitingTarget(capacity: 100);
        awaiting.Add(Parse("other", cycle: 0));
        awaiting.Add(Entry(PendingExtendedKind.Bind, "s", cycle: 0));

        Assert.Equal(PendingChange.None, awaiting.Find("s", portal: false, cycle: 0, out _));
    }

    [Fact]
    public void Within_the_cycle_being_sent_the_latest_message_of_the_name_decides()
    {
        var awaiting = new AwaitingTarget(capacity: 100);
        var first = Parse("s", cycle: 3);
        var second = Parse("s", cycle: 3);
        awaiting.Add(first);
        awaiting.Add(second);

        Assert.Equal(PendingChange.ThisCycle, awaiting.Find("s", portal: false, cycle: 3, out var latest));
        Assert.Same(second.Statement, latest.Statement);

        awaiting.Add(Entry(PendingExtendedKind.CloseStatement, "s", cycle: 3));
        Assert.Equal(PendingChange.ThisCycle, awaiting.Find("s", portal: false, cycle: 3, out latest));
        Assert.Equal(PendingExtendedKind.CloseStatement, latest.Kind);
    }

    [Fact]
    public void A_message_of_the_name_in_an_earlier_cycle_waits_until_it_is_answered_even_under_later_ones()
    {
        var awaiting = new AwaitingTarget(capacity: 100);
        awaiting.Add(Parse("s", cycle: 0));
        awaiting.Add(Entry(PendingExtendedKind.CycleEnd, "", cycle: 0));
        awaiting.Add(Parse("s", cycle: 1));
        awaiting.Add(Parse("s", cycle: 1));

        Assert.Equal(PendingChange.EarlierCycle, awaiting.Find("s", portal: false, cycle: 1, out _));
        Assert.Equal(PendingChange.EarlierCycle, awaiting.Find("s", portal: false, cycle: 2, out _));

        awaiting.Take();
        awaiting.Take();
        Assert.Equal(PendingChange.ThisCycle, awaiting.Find("s", portal: false, cycle: 1, out _));
        Assert.Equal(1, awaiting.ParsedNames);
    }

    [Fact]
    public void A_deallocate_touches_every_statement_name_but_no_portal()
    {
        var awaiting = new AwaitingTarget(capacity: 100);
        awaiting.Add(Entry(PendingExtendedKind.ForgetStatements, "", cycle: 0));
        awaiting.Add(Entry(PendingExtendedKind.CycleEnd, "", cycle: 0));
        awaiting.Add(Entry(PendingExtendedKind.Bind, "s", cycle: 1));

        Assert.Equal(PendingChange.EarlierCycle, awaiting.Find("never-parsed", portal: false, cycle: 1, out _));
        Assert.Equal(PendingChange.ThisCycle, awaiting.Find("s", portal: true, cycle: 1, out var portal));
        Assert.Equal(PendingExtendedKind.Bind, portal.Kind);
    }

    [Fact]
    public void Statement_and_portal_names_are_apart()
    {
        var awaiting = new AwaitingTarget(capacity: 100);
        awaiting.Add(Parse("x", cycle: 0));
        awaiting.Add(Entry(PendingExtendedKind.CycleEnd, "", cycle: 0));

        Assert.Equal(PendingChange.None, awaiting.Find("x", portal: true, cycle: 1, out _));
        Assert.Equal(PendingChange.EarlierCycle, awaiting.Find("x", portal: false, cycle: 1, out _));
        Assert.Equal(1, awaiting.ParsedNames);
        Assert.Equal(0, awaiting.BoundNames);
        Assert.True(awaiting.IsBeingCreated("x", portal: false));
        Assert.False(awaiting.IsBeingCreated("x", portal: true));
    }

    [Fact]
    public void Past_the_capacity_nothing_is_queued_and_the_session_is_refused_with_54000()
    {
        var awaiting = new AwaitingTarget(capacity: 2);
        awaiting.Add(Parse("a", cycle: 0));
        awaiting.Add(Parse("b", cycle: 0));

        var full = Assert.Throws<PgProtocolException>(() => awaiting.Add(Parse("c", cycle: 0)));

        Assert.Equal("54000", full.SqlState);
        Assert.Contains("more than 2 messages await the target's answer", full.Message, StringComparison.Ordinal);
        Assert.Equal(2, awaiting.Count);
        Assert.Equal(2, awaiting.ParsedNames);
        Assert.Equal(PendingChange.None, awaiting.Find("c", portal: false, cycle: 0, out _));

        awaiting.Take();
        awaiting.Add(Parse("c", cycle: 0));
        Assert.Equal(PendingChange.ThisCycle, awaiting.Find("c", portal: false, cycle: 0, out _));
    }

    [Fact]
    public void Find_agrees_with_a_walk_of_the_whole_queue_over_random_pipelines()
    {
        // The walk is what the session did before the index: every message of the name (and every DEALLOCATE, for a
        // statement) is visited; one in an earlier cycle means waiting, else the latest decides.
        var random = new Random(20261129);
        var names = new[] { "", "a", "b" };
        var kinds = Enum.GetValues<PendingExtendedKind>();
        var awaiting = new AwaitingTarget(capacity: 64);
        var reference = new Queue<PendingExtended>();
        long cycle = 0;
        var checks = 0;
        for (var step = 0; step < 20_000; step++)
        {
            if (reference.Count > 0 && (reference.Count >= 64 || random.Next(2) == 0))
            {
                var taken = awaiting.Take();
                Assert.Equal(reference.Dequeue(), taken);
            }
            else
            {
                var kind = kinds[random.Next(kinds.Length)];
                var entry = kind is PendingExtendedKind.Parse or PendingExtendedKind.Bind
                    ? new PendingExtended(kind, names[random.Next(names.Length)], Statement(), cycle)
                    : Entry(kind, kind is PendingExtendedKind.CycleEnd or PendingExtendedKind.ForgetStatements ? "" : names[random.Next(names.Length)], cycle);
                awaiting.Add(entry);
                reference.Enqueue(entry);
                cycle += kind == PendingExtendedKind.CycleEnd ? 1 : 0;
            }

            foreach (var name in names)
            {
                foreach (var portal in new[] { false, true })
                {
                    var expected = Walk(reference, name, portal, cycle, out var expectedLatest);
                    Assert.Equal(expected, awaiting.Find(name, portal, cycle, out var latest));
                    if (expected == PendingChange.ThisCycle)
                    {
                        Assert.Equal(expectedLatest, latest);
                    }

                    checks++;
                }
            }

            Assert.Equal(reference.Where(e => e.Kind == PendingExtendedKind.Parse).Select(e => e.Name).Distinct().Count(), awaiting.ParsedNames);
            Assert.Equal(reference.Where(e => e.Kind == PendingExtendedKind.Bind).Select(e => e.Name).Distinct().Count(), awaiting.BoundNames);
            foreach (var name in names)
            {
                Assert.Equal(reference.Any(e => e.Kind == PendingExtendedKind.Parse && e.Name == name), awaiting.IsBeingCreated(name, portal: false));
                Assert.Equal(reference.Any(e => e.Kind == PendingExtendedKind.Bind && e.Name == name), awaiting.IsBeingCreated(name, portal: true));
            }
        }

        Assert.Equal(20_000 * names.Length * 2, checks);
    }

    private static PendingChange Walk(Queue<PendingExtended> queue, string name, bool portal, long cycle, out PendingExtended latest)
    {
        latest = default;
        var found = false;
        var (create, close) = portal
            ? (PendingExtendedKind.Bind, PendingExtendedKind.ClosePortal)
            : (PendingExtendedKind.Parse, PendingExtendedKind.CloseStatement);
        foreach (var entry in queue)
        {
            if ((!portal && entry.Kind == PendingExtendedKind.ForgetStatements) || ((entry.Kind == create || entry.Kind == close) && entry.Name == name))
            {
                if (entry.Cycle != cycle)
                {
                    return PendingChange.EarlierCycle;
                }

                (latest, found) = (entry, true);
            }
        }

        return found ? PendingChange.ThisCycle : PendingChange.None;
    }

    private static PendingExtended Parse(string name, long cycle) => new(PendingExtendedKind.Parse, name, Statement(), cycle);

    private static PendingExtended Entry(PendingExtendedKind kind, string name, long cycle) =>
        new(kind, name, kind == PendingExtendedKind.Bind ? Statement() : null, cycle);

    private static PreparedStatementDecision Statement() => new("s", "SELECT 1", Allowed, 0);
}
