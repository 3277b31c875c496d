using System.Diagnostics;
using System.Text.Json;
using Npgsql;
using OrleansGate.Edge.Identity;
using OrleansGate.Host.Commands;
using OrleansGate.IntegrationTests.Fixtures;

namespace OrleansGate.IntegrationTests.Identity;

/// <summary>
/// Key rotation end to end: a node with its own development IdP, the operator's real <c>idp rotate-key</c>, and
/// Npgsql logins through the node's PostgreSQL listener.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class KeyRotationLoginTests(GatewayFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly string KeySourceCategory = typeof(DiscoveryIssuerKeySource).FullName!;

    [Fact]
    public async Task First_login_with_a_token_of_the_rotated_key_succeeds_after_exactly_one_refetch_and_old_key_tokens_still_log_in()
    {
        // Its own key directory and IdP, so rotating touches no other test's key. The key source's Information lines
        // (one per fetch, one per wait for a fetch slot) are captured, so the test can count the node's fetches.
        var settings = new GatewaySettings
        {
            StateConnectionString = fixture.Settings.StateConnectionString,
            TargetPort = fixture.Settings.TargetPort,
            TargetPassword = fixture.Settings.TargetPassword,
            NodeName = "key-rotation",
            Overrides = new Dictionary<string, string?> { [$"Logging:LogLevel:{KeySourceCategory}"] = "Information" },
        };
        await using var node = await GatewayNode.StartAsync(settings);
        var log = CapturedLog.Of(node);
        var before = await node.GetTokenAsync();
        await using var open = new NpgsqlConnection(node.ConnectionString(before));
        await open.OpenAsync();
        Assert.Single(KeySourceEvents(log, 0), e => e.EventId.Id == FetchedEventId);

        var printed = new StringWriter();
        Assert.Equal(0, await CommandLine.RunAsync(["--config", settings.WriteConfigFile(), "idp", "rotate-key"], printed, TextWriter.Null, CancellationToken.None));
        var newKid = printed.ToString().Trim();

        var after = await node.GetTokenAsync();
        Assert.Equal(newKid, KeyId(after));
        Assert.NotEqual(KeyId(before), newKid);

        // The dev IdP signs with the new key at once, within 10 s of the node's first fetch: the refetch for the
        // unknown kid is rate-limited, so this login waits for the next allowed fetch instead of being refused.
        var mark = log.Mark;
        var clock = Stopwatch.StartNew();
        Assert.Null(await LoginAsync(node, after));
        var waited = clock.Elapsed;
        output.WriteLine($"the first new-key login succeeded {waited.TotalSeconds:0.0} s after the rotation");
        Assert.True(waited < TimeSpan.FromSeconds(12), $"the new-key login took {waited.TotalSeconds:0.0} s (the refetch limit is 10 s)");

        // Exactly one refetch, no failed one, and one line saying logins wait for it.
        var events = KeySourceEvents(log, mark);
        Assert.Single(events, e => e.EventId.Id == FetchedEventId);
        Assert.DoesNotContain(events, e => e.EventId.Id == FetchFailedEventId);
        Assert.Single(events, e => e.EventId.Id == WaitingEventId);

        // The old key is still published (the IdP's previous-key grace): its tokens keep logging in, without a fetch.
        Assert.Null(await LoginAsync(node, before));
        Assert.Null(await LoginAsync(node, await node.GetTokenAsync()));
        await using var stillOpen = new NpgsqlCommand("SELECT 1", open);
        Assert.Equal(1, await stillOpen.ExecuteScalarAsync());
        Assert.Single(KeySourceEvents(log, mark), e => e.EventId.Id == FetchedEventId);
    }

    /// <summary>Null when the token logged in and answered a statement; the refusal otherwise.</summary>
    private static async Task<PostgresException?> LoginAsync(GatewayNode node, string token)
    {
        await using var connection = new NpgsqlConnection(node.ConnectionString(token));
        try
        {
            await connection.OpenAsync();
        }
        catch (PostgresException e)
        {
            return e;
        }

        await using var command = new NpgsqlCommand("SELECT 1", connection);
        Assert.Equal(1, await command.ExecuteScalarAsync());
        return null;
    }

    // The key source's event ids: a successful fetch, a failed one, and a wait for the next allowed fetch.
    private const int FetchedEventId = 2111;
    private const int FetchFailedEventId = 2110;
    private const int WaitingEventId = 2113;

    private static List<CapturedLogEntry> KeySourceEvents(CapturedLog log, long mark) =>
        [.. log.Since(mark).Where(e => e.Category == KeySourceCategory)];

    private static string KeyId(string token)
    {
        var s = token.Split('.')[0].Replace('-', '+').Replace('_', '/');
        return JsonDocument.Parse(Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='))).RootElement.GetProperty("kid").GetString()!;
    }
}
