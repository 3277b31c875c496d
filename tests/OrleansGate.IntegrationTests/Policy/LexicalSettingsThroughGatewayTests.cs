using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Npgsql;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.Policy.Classification;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.IntegrationTests.Policy;

/// <summary>
/// The classifier reads statements as UTF-8 with standard_conforming_strings on; through real sessions against a
/// real PostgreSQL, the target is shown to read them the same way: the client cannot change either setting (at
/// startup, by SET, by set_config), role and database defaults do not apply, and a session whose target reports
/// another value mid-session ends.
/// </summary>
[Collection(PolicyCollection.Name)]
public sealed class LexicalSettingsThroughGatewayTests(PolicyFixture fixture)
{
    /// <summary>
    /// E3 81 81 5C is "ぁ\" in UTF-8 but one SJIS character plus nothing: under SJIS the literal would end after it
    /// and the DELETE would run. Under UTF-8 it is a single string literal.
    /// </summary>
    private const string SjisSmuggle = "SELECT E'ぁ\\' ; DELETE FROM orders WHERE id = 2; --'";

    /// <summary>With standard_conforming_strings off, 'a\', ' would be one literal and the DELETE would run.</summary>
    private const string BackslashSmuggle = "SELECT 'a\\', ' ; DELETE FROM orders WHERE id = 2; --'";

    [Fact]
    public async Task Client_cannot_switch_the_encoding_so_the_sjis_string_stays_a_read_and_deletes_nothing()
    {
        // Session control is allowed by this policy: only the gateway's guard stands in the way.
        await fixture.ApplyAsync(PolicyFixture.ReadAndSessionControlPolicy);
        try
        {
            await using var session = await RawSession.OpenAsync(fixture.Node);
            foreach (var change in new[]
                     {
                         "SET client_encoding = 'SJIS'", "SET NAMES 'SJIS'", "SET LOCAL client_encoding TO 'BIG5'",
                         "SET standard_conforming_strings = off", "SELECT set_config('client_encoding', 'SJIS', false)",
                     })
            {
                var error = RawSession.Error(await session.QueryAsync(change)) ?? throw new Xunit.Sdk.XunitException($"{change} was not refused");
                Assert.Equal("42501", error['C']);
                Assert.StartsWith($"statement denied by rule \"{LexicalSettings.GuardRule}\": client_encoding and standard_conforming_strings are fixed by the gateway", error['M'], StringComparison.Ordinal);
            }

            var smuggled = await session.QueryAsync(SjisSmuggle);
            Assert.Null(RawSession.Error(smuggled));
            Assert.Equal("ぁ' ; DELETE FROM orders WHERE id = 2; --", FirstValue(smuggled));
            Assert.Equal("UTF8", FirstValue(await session.QueryAsync("SHOW client_encoding")));
            Assert.Null(RawSession.Error(await session.QueryAsync("RESET client_encoding")));
            Assert.Equal(1L, await CountOrder2Async());
        }
        finally
        {
            await fixture.ApplyAsync(PolicyFixture.ReadOnlyPolicy);
        }
    }

    [Fact]
    public async Task Startup_client_encoding_other_than_utf8_is_refused_before_any_upstream_dial()
    {
        using var dials = new NodeUpstreamDialCounter(fixture.Node);
        await using var client = await RawPgClient.ConnectAsync(fixture.Node.Settings.PostgresPort);
        var answer = await client.LoginAsync(GatewaySettings.AgentClientId, GatewaySettings.TargetName, await fixture.Node.GetTokenAsync(), [new("client_encoding", "SJIS")]);

        var error = RawSession.Error(answer) ?? throw new Xunit.Sdk.XunitException("the login was not refused");
        Assert.Equal("FATAL", error['S']);
        Assert.Equal("0A000", error['C']);
        Assert.Equal("client_encoding \"SJIS\" is not supported through the gateway: connect with client_encoding UTF8, the only encoding its statement parser reads", error['M']);
        Assert.Equal(0, dials.Count);

        await using var utf8 = await RawSession.OpenAsync(fixture.Node, [new("client_encoding", "utf-8")]);
        Assert.Equal("UTF8", Reported(utf8.Login, "client_encoding"));
    }

    [Fact]
    public async Task Role_and_database_defaults_do_not_change_how_the_target_reads_statements()
    {
        await fixture.Postgres.ExecuteAsync("postgres", "ALTER DATABASE demo SET standard_conforming_strings = off");
        await fixture.Postgres.ExecuteAsync("postgres", "ALTER ROLE gateway_demo SET client_encoding = 'SJIS'");
        try
        {
            await using var session = await RawSession.OpenAsync(fixture.Node);

            Assert.Equal("UTF8", Reported(session.Login, "client_encoding"));
            Assert.Equal("on", Reported(session.Login, "standard_conforming_strings"));
            Assert.Equal("on", FirstValue(await session.QueryAsync("SHOW standard_conforming_strings")));
            Assert.Equal("UTF8", FirstValue(await session.QueryAsync("SHOW client_encoding")));
            var smuggled = await session.QueryAsync(BackslashSmuggle);
            Assert.Null(RawSession.Error(smuggled));
            Assert.Equal("a\\", FirstValue(smuggled));
            Assert.Null(RawSession.Error(await session.QueryAsync(SjisSmuggle)));
            Assert.Equal(1L, await CountOrder2Async());
        }
        finally
        {
            await fixture.Postgres.ExecuteAsync("postgres", "ALTER DATABASE demo RESET standard_conforming_strings");
            await fixture.Postgres.ExecuteAsync("postgres", "ALTER ROLE gateway_demo RESET client_encoding");
        }
    }

    [Theory]
    [InlineData("client_encoding", "SJIS")]
    [InlineData("standard_conforming_strings", "off")]
    public async Task Target_reporting_another_value_mid_session_ends_the_session(string setting, string value)
    {
        // A user-defined function the classifier cannot see into changes the setting; a policy that allows user
        // functions (group non_builtin) lets it run, so the defence left is the target's ParameterStatus.
        var function = $"switch_{setting}";
        await fixture.Postgres.ExecuteAsync("demo", $"CREATE OR REPLACE FUNCTION public.{function}() RETURNS text LANGUAGE sql AS $$ SELECT set_config('{setting}', '{value}', false) $$");
        await fixture.ApplyAsync(ReadAndUserFunctionsPolicy);
        List<(char Code, byte[] Payload)> answer;
        try
        {
            await using var session = await RawSession.OpenAsync(fixture.Node);
            answer = await session.QueryAsync($"SELECT {function}()");
        }
        finally
        {
            await fixture.ApplyAsync(PolicyFixture.ReadOnlyPolicy);
        }

        Assert.DoesNotContain(answer, m => m.Code == 'S' && Encoding.UTF8.GetString(m.Payload).StartsWith(setting, StringComparison.Ordinal));
        var error = RawSession.Error(answer) ?? throw new Xunit.Sdk.XunitException("the session was not ended");
        Assert.Equal("FATAL", error['S']);
        Assert.Equal("57P01", error['C']);
        Assert.StartsWith($"terminating connection: the target switched {setting} to \"{value}\"", error['M'], StringComparison.Ordinal);
        Assert.Equal('\0', answer[^1].Code);
    }

    private const string ReadAndUserFunctionsPolicy = """
        version: tests-read-user-functions
        rules:
          - name: developers-read-with-user-functions
            effect: allow
            reason: developers may read and call user functions
            match:
              groups: [developers]
              kinds: [read]
              function_groups: [non_builtin]
        """;

    private static string? Reported(List<(char Code, byte[] Payload)> messages, string name) =>
        messages.Where(m => m.Code == 'S')
            .Select(m => BackendMessages.ReadParameterStatus(new ReadOnlySequence<byte>(m.Payload)))
            .LastOrDefault(p => p.Name == name).Value;

    /// <summary>The first column of the first DataRow, as text.</summary>
    private static string FirstValue(List<(char Code, byte[] Payload)> messages)
    {
        var row = messages.First(m => m.Code == 'D').Payload;
        var length = BinaryPrimitives.ReadInt32BigEndian(row.AsSpan(2));
        return Encoding.UTF8.GetString(row, 6, length);
    }

    private async Task<long> CountOrder2Async()
    {
        await using var direct = new NpgsqlConnection(fixture.TargetConnectionString);
        await direct.OpenAsync();
        return (long)(await new NpgsqlCommand("SELECT count(*) FROM orders WHERE id = 2", direct).ExecuteScalarAsync())!;
    }
}
