using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using OrleansGate.Edge.Postgres;
using OrleansGate.Edge.Sessions;
using OrleansGate.IntegrationTests.Fixtures;
using Xunit.Abstractions;

namespace OrleansGate.IntegrationTests.Protocol;

/// <summary>
/// Bounded fuzzing over real sockets against a real node: mutated login streams and mutated post-login
/// streams (seeded from valid sessions), each sent, half-closed and read until the gateway closes. Afterwards:
/// no error logged by the node, no unobserved task exception and no bug-kind exception under gateway code, only
/// expected outcomes per stream, no session or cancel key left behind, flat memory per stream, and a new client works.
/// </summary>
/// <remarks>
/// The stream count follows <c>ORLEANSGATE_FUZZ_ITERATIONS</c> (the codec fuzz's count, default 100,000):
/// one socket stream per 30 codec streams, at least 3,000.
/// </remarks>
[Collection(ProtocolSuiteCollection.Name)]
public sealed class SocketFuzzTests(ProtocolSuiteFixture fixture, ITestOutputHelper output)
{
    private const int Parallelism = 8;

    private static int Streams =>
        Math.Max(3_000, FuzzSettings.Iterations / 30);

    [Fact]
    public async Task Mutated_streams_over_sockets_leave_the_node_healthy_with_flat_memory()
    {
        var node = fixture.Node;
        var port = node.Settings.PostgresPort;
        var token = await fixture.TokenAsync();
        var log = CapturedLog.Of(node);
        var sessions = node.Services.GetRequiredService<EdgeSessionRegistry>();
        var cancelKeys = node.Services.GetRequiredService<CancelKeyRegistry>();
        var (sessionsBefore, keysBefore) = (sessions.Count, cancelKeys.Count);
        var seed = FuzzSettings.Seed;
        using var faults = new FaultWatch();

        // Warm-up, so the memory baseline includes JIT, pools and caches.
        await RunAsync(port, token, 0, 300, seed: 1);
        var mark = log.Mark;
        var watch = Stopwatch.StartNew();

        // Memory is compared between a third of the run and its end: what one stream leaves behind, not warm-up noise.
        var third = Streams / 3;
        var outcomes = await RunAsync(port, token, 0, third, seed);
        var atThird = FaultWatch.SettledHeap();
        foreach (var (outcome, count) in await RunAsync(port, token, third, Streams, seed))
        {
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + count;
        }

        var atEnd = FaultWatch.SettledHeap();
        var bytesPerStream = (atEnd - atThird) / (double)(Streams - third);
        output.WriteLine($"seed {seed}: {Streams} socket streams in {watch.Elapsed.TotalSeconds:0.0} s; managed heap {atThird >> 10} KiB at 1/3, {atEnd >> 10} KiB at 3/3: {bytesPerStream:0} bytes per stream");
        foreach (var (outcome, count) in outcomes.OrderByDescending(o => o.Value))
        {
            output.WriteLine($"  {count,6} {outcome}");
        }

        var because = FuzzSettings.Replay(seed);
        faults.AssertClean(log.Since(mark), because);
        output.WriteLine($"unobserved exceptions without a frame of ours (hosts of other tests), not counted: {faults.Foreign}");
        var unexpected = outcomes.Keys.Where(o => !IsExpected(o)).ToList();
        Assert.True(unexpected.Count == 0, $"unexpected outcomes {because}: {string.Join(", ", unexpected)}");
        Assert.Equal(sessionsBefore, sessions.Count);
        Assert.Equal(keysBefore, cancelKeys.Count);

        // Grain activations end with their sessions and log lines are kept by the test's log capture (a few hundred
        // bytes each): a per-stream buffer or session left behind would be kilobytes per stream.
        Assert.True(bytesPerStream < 2048, $"managed heap grew by {bytesPerStream:0} bytes per stream {because}");
        // The mutations must reach both stages: violations before and after login.
        Assert.True(outcomes.GetValueOrDefault("login stream: 08P01 FATAL") > 0, "no login stream reached a protocol violation");
        Assert.True(outcomes.GetValueOrDefault("after login: 08P01 FATAL") > 0, "no session stream reached a protocol violation");

        await using var client = await WireClient.LoginAsync(port, token);
        await client.SendAsync(Wire.Message('Q', Wire.CString("SELECT 1")));
        Assert.Contains(await client.ReadUntilReadyAsync(), m => m.Code == 'D');
    }

    /// <summary>
    /// What a mutated stream may end with: a close, or a FATAL for a protocol violation (08P01), a token the mutation
    /// broke (28P01), a startup parameter or target name it changed (0A000, 3D000). Anything else (XX000, 58000,
    /// 57P03, 08006…) means the gateway failed where it should have refused.
    /// </summary>
    private static bool IsExpected(string outcome)
    {
        var result = outcome[(outcome.IndexOf(": ", StringComparison.Ordinal) + 2)..];
        return result == "closed without error" || result is "08P01 FATAL" or "28P01 FATAL" or "0A000 FATAL" or "3D000 FATAL";
    }

    /// <summary>Streams <paramref name="from"/> to <paramref name="to"/> (exclusive) of the sequence <paramref name="seed"/> makes.</summary>
    private static async Task<Dictionary<string, int>> RunAsync(int port, string token, int from, int to, int seed)
    {
        var outcomes = new Dictionary<string, int>();
        var next = from - 1;
        var workers = Enumerable.Range(0, Parallelism).Select(async _ =>
        {
            while (true)
            {
                var i = Interlocked.Increment(ref next);
                if (i >= to)
                {
                    return;
                }

                var random = new Random(seed * 1_000_003 + i);
                var outcome = i % 2 == 0
                    ? await SendAsync(port, WireMutator.Mutate(random, LoginSeed(token, random)), token: null)
                    : await SendAsync(port, WireMutator.Mutate(random, SessionSeeds[random.Next(SessionSeeds.Length)]), token);
                lock (outcomes)
                {
                    outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
                }
            }
        });
        await Task.WhenAll(workers);
        return outcomes;
    }

    /// <summary>Sends one stream (after a login when <paramref name="token"/> is given) and reads until the gateway closes.</summary>
    private static async Task<string> SendAsync(int port, byte[] bytes, string? token)
    {
        await using var client = token is null ? await WireClient.ConnectAsync(port) : await WireClient.LoginAsync(port, token);
        try
        {
            await client.SendAsync(bytes);
            client.ShutdownSend();
        }
        catch (IOException)
        {
            // The gateway may close before reading everything (a FATAL on an early byte); that is an outcome too.
        }

        var phase = token is null ? "login stream" : "after login";
        var outcome = "closed without error";
        while (true)
        {
            var message = await client.ReadAsync();
            switch (message.Code)
            {
                case '\0':
                    return $"{phase}: {outcome}";
                case 'E' when Wire.Fields(message.Payload) is { } fields && fields.GetValueOrDefault('S') == "FATAL":
                    outcome = fields.GetValueOrDefault('C', "?????") + " FATAL";
                    break;
                case 'K':
                    phase = "login stream, logged in";
                    break;
            }
        }
    }

    private static readonly byte[][] SessionSeeds =
    [
        [.. Wire.Message('Q', Wire.CString("SELECT id, name FROM customers ORDER BY id")), .. Wire.Message('X')],
        [
            .. Wire.Message('P', Wire.CString("s1"), Wire.CString("SELECT name FROM customers WHERE id = $1"), Wire.Int16(1), Wire.Int32(23)),
            .. Wire.Message('B', Wire.CString("p1"), Wire.CString("s1"), Wire.Int16(1), Wire.Int16(0), Wire.Int16(1), Wire.Int32(1), [(byte)'1'], Wire.Int16(1), Wire.Int16(0)),
            .. Wire.Message('D', [(byte)'P'], Wire.CString("p1")),
            .. Wire.Message('E', Wire.CString("p1"), Wire.Int32(1)),
            .. Wire.Message('C', [(byte)'S'], Wire.CString("s1")),
            .. Wire.Message('S'),
        ],
        [
            .. Wire.Message('Q', Wire.CString("COPY (SELECT id, status FROM orders) TO STDOUT")),
            .. Wire.Message('P', Wire.CString(""), Wire.CString("SELECT $1::text"), Wire.Int16(0)),
            .. Wire.Message('H'),
            .. Wire.Message('S'),
        ],
    ];

    private static byte[] LoginSeed(string token, Random random) => random.Next(3) switch
    {
        0 => [.. Wire.Packet(Wire.Int32((1234 << 16) | 5679)), .. Wire.Startup("user", GatewaySettings.AgentClientId, "database", GatewaySettings.TargetName)],
        1 => Wire.Packet(Wire.Int32((1234 << 16) | 5678), Wire.Int32(random.Next()), Wire.Int32(random.Next())),
        _ => [.. Wire.Startup("user", GatewaySettings.AgentClientId, "database", GatewaySettings.TargetName), .. Wire.Message('p', Wire.CString(token)), .. Wire.Message('Q', Wire.CString("SELECT 1"))],
    };
}
