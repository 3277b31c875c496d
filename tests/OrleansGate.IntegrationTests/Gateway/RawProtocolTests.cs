using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.IntegrationTests.Gateway;

/// <summary>Messages no driver sends on its own, over a real socket.</summary>
[Collection(GatewayCollection.Name)]
public sealed class RawProtocolTests(GatewayFixture fixture)
{
    private static string ErrorField(byte[] payload, char field) =>
        BackendMessages.ReadErrorOrNotice(new ReadOnlySequence<byte>(payload)).GetValueOrDefault(field, "");

    [Fact]
    public async Task Empty_password_is_refused_with_28P01()
    {
        await using var client = await RawPgClient.ConnectAsync(fixture.Node.Settings.PostgresPort);
        var messages = await client.LoginAsync("agent-a", "demo", "");
        var error = Assert.Single(messages, m => m.Code == 'E');
        Assert.Equal("28P01", ErrorField(error.Payload, 'C'));
        Assert.Equal("FATAL", ErrorField(error.Payload, 'S'));
        Assert.Equal('\0', (await client.ReadAsync()).Code);
    }

    [Fact]
    public async Task Function_call_message_is_refused_with_42501_and_the_session_stays_usable()
    {
        await using var client = await RawPgClient.ConnectAsync(fixture.Node.Settings.PostgresPort);
        var login = await client.LoginAsync("agent-a", "demo", await fixture.Node.GetTokenAsync());
        Assert.Equal('Z', login[^1].Code);

        // FunctionCall 'F': function OID 1598 (random()), no arguments, text result.
        await client.SendAsync(w =>
        {
            var span = w.GetSpan(1 + 4 + 4 + 2 + 2 + 2);
            span[0] = (byte)'F';
            BinaryPrimitives.WriteInt32BigEndian(span[1..], 4 + 4 + 2 + 2 + 2); // length, includes itself
            BinaryPrimitives.WriteInt32BigEndian(span[5..], 1598);              // function OID
            BinaryPrimitives.WriteInt16BigEndian(span[9..], 0);                 // argument format codes
            BinaryPrimitives.WriteInt16BigEndian(span[11..], 0);                // arguments
            BinaryPrimitives.WriteInt16BigEndian(span[13..], 0);                // result format: text
            w.Advance(15);
        });
        var refused = await client.ReadUntilReadyAsync();
        var error = Assert.Single(refused, m => m.Code == 'E');
        Assert.Equal("42501", ErrorField(error.Payload, 'C'));
        Assert.Contains("gateway:function-call", ErrorField(error.Payload, 'M'), StringComparison.Ordinal);
        Assert.DoesNotContain(refused, m => m.Code == 'V');

        await using (var state = new Npgsql.NpgsqlConnection(fixture.Settings.StateConnectionString))
        {
            await state.OpenAsync();
            await using var audit = new Npgsql.NpgsqlCommand("SELECT decision FROM orleansgate_audit WHERE rule = 'gateway:function-call' ORDER BY seq DESC LIMIT 1", state);
            Assert.Equal("Deny", (string?)await audit.ExecuteScalarAsync());
        }

        await client.SendAsync(w => FrontendWriter.Query(w, "SELECT 'still here'"));
        var answer = await client.ReadUntilReadyAsync();
        var row = Assert.Single(answer, m => m.Code == 'D');
        Assert.Contains("still here", Encoding.UTF8.GetString(row.Payload), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_message_type_after_login_gets_fatal_08P01_and_a_new_client_still_works()
    {
        await using (var client = await RawPgClient.ConnectAsync(fixture.Node.Settings.PostgresPort))
        {
            await client.LoginAsync("agent-a", "demo", await fixture.Node.GetTokenAsync());
            await client.SendAsync(w =>
            {
                var span = w.GetSpan(5);
                span[0] = (byte)'!';
                BinaryPrimitives.WriteInt32BigEndian(span[1..], 4);
                w.Advance(5);
            });
            var error = await client.ReadAsync();
            Assert.Equal('E', error.Code);
            Assert.Equal("08P01", ErrorField(error.Payload, 'C'));
            Assert.Equal('\0', (await client.ReadAsync()).Code);
        }

        await using var next = await RawPgClient.ConnectAsync(fixture.Node.Settings.PostgresPort);
        var login = await next.LoginAsync("agent-a", "demo", await fixture.Node.GetTokenAsync());
        Assert.Equal('Z', login[^1].Code);
    }
}
