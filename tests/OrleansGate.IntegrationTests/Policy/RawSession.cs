using System.Buffers;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.IntegrationTests.Policy;

/// <summary>A logged-in raw protocol session, for exact control over Query, Parse, Bind and Execute.</summary>
internal sealed class RawSession : IAsyncDisposable
{
    private readonly RawPgClient _client;

    private RawSession(RawPgClient client, List<(char Code, byte[] Payload)> login) => (_client, Login) = (client, login);

    /// <summary>What the gateway answered to the login, up to and including ReadyForQuery.</summary>
    public List<(char Code, byte[] Payload)> Login { get; }

    public static async Task<RawSession> OpenAsync(GatewayNode node, IEnumerable<KeyValuePair<string, string>>? parameters = null)
    {
        var client = await RawPgClient.ConnectAsync(node.Settings.PostgresPort);
        var login = await client.LoginAsync(GatewaySettings.AgentClientId, GatewaySettings.TargetName, await node.GetTokenAsync(), parameters);
        Assert.Equal('Z', login[^1].Code);
        return new RawSession(client, login);
    }

    public async Task<List<(char Code, byte[] Payload)>> QueryAsync(string sql)
    {
        await _client.SendAsync(w => FrontendWriter.Query(w, sql));
        return await _client.ReadUntilReadyAsync();
    }

    /// <summary>Sends the messages written by <paramref name="write"/> (ending with Sync) and reads to ReadyForQuery.</summary>
    public async Task<List<(char Code, byte[] Payload)>> ExtendedAsync(Action<IBufferWriter<byte>> write)
    {
        await _client.SendAsync(write);
        return await _client.ReadUntilReadyAsync();
    }

    /// <summary>Sends the messages written by <paramref name="write"/> without reading any answer (a pipelining client).</summary>
    public Task SendAsync(Action<IBufferWriter<byte>> write) => _client.SendAsync(write);

    /// <summary>Reads the answer of one more cycle (after pipelined messages), up to ReadyForQuery.</summary>
    public Task<List<(char Code, byte[] Payload)>> ReadUntilReadyAsync() => _client.ReadUntilReadyAsync();

    /// <summary>The first ErrorResponse's fields, or null when there was none.</summary>
    public static IReadOnlyDictionary<char, string>? Error(List<(char Code, byte[] Payload)> messages) =>
        messages.FirstOrDefault(m => m.Code == 'E') is { Payload: not null } e
            ? BackendMessages.ReadErrorOrNotice(new ReadOnlySequence<byte>(e.Payload))
            : null;

    public ValueTask DisposeAsync() => _client.DisposeAsync();
}
