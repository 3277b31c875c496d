using Microsoft.Extensions.DependencyInjection;
using OrleansGate.Edge.Sessions;
using OrleansGate.IntegrationTests.Fixtures;
using Xunit.Abstractions;

namespace OrleansGate.IntegrationTests.Protocol;

/// <summary>
/// The other direction of the socket fuzz: the stand-in target answers each session's query with a mutated answer
/// of a real server and closes. The gateway either relays it (it was still valid) or ends that session with its own
/// FATAL 08P01; no error is logged, nothing is left behind, and sessions beside it carry on.
/// </summary>
[Collection(ProtocolSuiteCollection.Name)]
public sealed class UpstreamFuzzTests(ProtocolSuiteFixture fixture, ITestOutputHelper output)
{
    private const int Parallelism = 8;

    /// <summary>One upstream session per 300 codec streams (333 by default): each is a full login.</summary>
    private static int Sessions =>
        Math.Max(300, FuzzSettings.Iterations / 300);

    [Fact]
    public async Task Mutated_target_answers_end_only_their_own_session_and_leave_the_edge_healthy()
    {
        var edge = fixture.LimitsEdge;
        var port = edge.Settings.PostgresPort;
        var token = await fixture.TokenAsync();
        var log = CapturedLog.Of(edge);
        var sessions = edge.Services.GetRequiredService<EdgeSessionRegistry>();
        var sessionsBefore = sessions.Count;
        var seed = FuzzSettings.Seed;
        using var faults = new FaultWatch();
        await using var bystander = await WireClient.LoginAsync(port, token, ProtocolSuiteFixture.StandInTarget);
        var mark = log.Mark;

        var outcomes = new Dictionary<string, int>();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Parallelism).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < Sessions)
            {
                var outcome = await RunSessionAsync(port, token, $"SELECT '{MisbehavingUpstreamStandIn.FuzzAnswer}{seed}:{i}'");
                lock (outcomes)
                {
                    outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
                }
            }
        }));

        FaultWatch.SettledHeap();
        output.WriteLine($"seed {seed}: {Sessions} sessions with mutated target answers");
        foreach (var (outcome, count) in outcomes.OrderByDescending(o => o.Value))
        {
            output.WriteLine($"  {count,6} {outcome}");
        }

        var because = FuzzSettings.Replay(seed);
        faults.AssertClean(log.Since(mark), because);
        output.WriteLine($"unobserved exceptions without a frame of ours (hosts of other tests), not counted: {faults.Foreign}");
        var unexpected = outcomes.Keys.Where(o => o is not ("closed" or "gateway FATAL 08P01" or "target error relayed")).ToList();
        Assert.True(unexpected.Count == 0, $"unexpected outcomes {because}: {string.Join(", ", unexpected)}");
        Assert.True(outcomes.GetValueOrDefault("gateway FATAL 08P01") > Sessions / 10, $"too few mutated answers were refused {because}");

        // Every fuzzed session is gone (the edge notices each close asynchronously), and the bystander still works.
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(20);
        while (sessions.Count != sessionsBefore + 1)
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, $"{sessions.Count - sessionsBefore - 1} fuzzed sessions were left open");
        }

        await bystander.SendAsync(Wire.Message('Q', Wire.CString("SELECT 'bystander'")));
        Assert.Contains(await bystander.ReadUntilReadyAsync(), m => m.Code == 'D');
    }

    /// <summary>Logs in to the stand-in, sends one query and reads until the connection closes.</summary>
    private static async Task<string> RunSessionAsync(int port, string token, string sql)
    {
        await using var client = await WireClient.LoginAsync(port, token, ProtocolSuiteFixture.StandInTarget);
        await client.SendAsync(Wire.Message('Q', Wire.CString(sql)));
        var outcome = "closed";
        while (true)
        {
            var message = await client.ReadAsync();
            switch (message.Code)
            {
                case '\0':
                    return outcome;
                case 'E' when Wire.Fields(message.Payload) is var fields:
                    // The gateway's own refusal says so; anything else is a (mutated but valid) error of the target, relayed.
                    outcome = fields.GetValueOrDefault('M', "").Contains("the target sent an invalid message", StringComparison.Ordinal)
                        ? $"gateway {fields.GetValueOrDefault('S')} {fields.GetValueOrDefault('C')}"
                        : "target error relayed";
                    break;
            }
        }
    }
}
