using System.Diagnostics;
using System.Text.Json;
using Npgsql;
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
    [Fact]
    public async Task Login_with_a_token_of_the_rotated_key_succeeds_once_the_refetch_limit_allows_and_old_key_tokens_still_log_in()
    {
        // Its own key directory and IdP, so rotating touches no other test's key.
        var settings = new GatewaySettings
        {
            StateConnectionString = fixture.Settings.StateConnectionString,
            TargetPort = fixture.Settings.TargetPort,
            TargetPassword = fixture.Settings.TargetPassword,
            NodeName = "key-rotation",
        };
        await using var node = await GatewayNode.StartAsync(settings);
        var before = await node.GetTokenAsync();
        await using var open = new NpgsqlConnection(node.ConnectionString(before));
        await open.OpenAsync();

        var printed = new StringWriter();
        Assert.Equal(0, await CommandLine.RunAsync(["--config", settings.WriteConfigFile(), "idp", "rotate-key"], printed, TextWriter.Null, CancellationToken.None));
        var newKid = printed.ToString().Trim();

        var after = await node.GetTokenAsync();
        Assert.Equal(newKid, KeyId(after));
        Assert.NotEqual(KeyId(before), newKid);

        // The dev IdP signs with a new key at once, and the node refetches keys for an unknown kid at most once per
        // 10 s after the fetch of the first login: until then the new token is refused. Retried, paced by a real
        // statement on the session opened with the old key (which rotation leaves alone), until it logs in.
        var refused = 0;
        var clock = Stopwatch.StartNew();
        while (await LoginAsync(node, after) is { } refusal)
        {
            Assert.Equal("28P01", refusal.SqlState);
            Assert.EndsWith("signing key not found", refusal.MessageText, StringComparison.Ordinal);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the rotated key was not picked up within 30 s");
            refused++;
            await using var pacing = new NpgsqlCommand("SELECT pg_sleep(0.5)", open);
            await pacing.ExecuteNonQueryAsync();
        }

        // Not one refusal would mean the rate limit was not in force; over 12 s, that the refetch came late.
        Assert.True(refused > 0, "the new key was accepted within the refetch rate limit of the first login's fetch");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(12), $"the rotated key took {clock.Elapsed.TotalSeconds:0.0} s (the refetch limit is 10 s)");
        output.WriteLine($"new-key token refused {refused} time(s), then logged in {clock.Elapsed.TotalSeconds:0.0} s after the rotation");

        // The old key is still published (the IdP's previous-key grace): its tokens keep logging in.
        Assert.Null(await LoginAsync(node, before));
        await using var stillOpen = new NpgsqlCommand("SELECT 1", open);
        Assert.Equal(1, await stillOpen.ExecuteScalarAsync());
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

    private static string KeyId(string token)
    {
        var s = token.Split('.')[0].Replace('-', '+').Replace('_', '/');
        return JsonDocument.Parse(Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='))).RootElement.GetProperty("kid").GetString()!;
    }
}
