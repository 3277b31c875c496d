using System.Text.RegularExpressions;
using Npgsql;
using OrleansGate.IntegrationTests.Fixtures;

namespace OrleansGate.IntegrationTests.Approvals;

/// <summary>An agent session (Npgsql) that reports the approval id of the first notice it gets.</summary>
internal sealed partial class WaitingAgent : IAsyncDisposable
{
    private readonly TaskCompletionSource<string> _notice = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private WaitingAgent(NpgsqlConnection connection)
    {
        Connection = connection;
        Connection.Notice += (_, e) =>
        {
            if (ApprovalId().Match(e.Notice.MessageText) is { Success: true } id)
            {
                NoticeText = $"{e.Notice.MessageText} | {e.Notice.Detail} | {e.Notice.Hint}";
                _notice.TrySetResult(id.Value);
            }
        };
    }

    public NpgsqlConnection Connection { get; }

    public string? NoticeText { get; private set; }

    /// <summary>The id in the notice the agent got when its statement started to wait.</summary>
    public Task<string> Waiting => _notice.Task.WaitAsync(TimeSpan.FromSeconds(30));

    public static async Task<WaitingAgent> OpenAsync(GatewayNode node, string client)
    {
        var connection = new NpgsqlConnection(node.ConnectionString(await node.GetTokenAsync(client), user: client));
        await connection.OpenAsync();
        return new WaitingAgent(connection);
    }

    public async Task<int> ExecuteAsync(string sql)
    {
        await using var command = new NpgsqlCommand(sql, Connection);
        return await command.ExecuteNonQueryAsync();
    }

    public ValueTask DisposeAsync() => Connection.DisposeAsync();

    [GeneratedRegex("apr-[0-9a-f]{20}")]
    private static partial Regex ApprovalId();
}
