using System.Data;
using System.Globalization;
using System.Text.Json.Nodes;
using ModelContextProtocol.Protocol;
using Npgsql;
using OrleansGate.Model;

namespace OrleansGate.Host.Mcp;

/// <summary>
/// <c>postgres_query</c>: one SQL text through this node's PostgreSQL listener as the caller, so it is decided, masked
/// and audited as the same statement from psql would be. Rows come back as JSON, masked by the gateway, at most a cap.
/// </summary>
/// <remarks>
/// Approvals as the listener words them: in wait mode a NOTICE names the approval and the statement is held (the notice
/// is passed on as progress, then a heartbeat until the answer); in retry mode the statement fails naming the approval.
/// </remarks>
public sealed class PostgresQueryTool(LoopbackListeners listeners, McpOptions options)
{
    public async Task<CallToolResult> RunAsync(McpCaller caller, McpToolArguments arguments, McpProgress progress, CancellationToken ct)
    {
        var target = arguments.RequiredString("target");
        var sql = arguments.RequiredString("sql");
        var maxRows = arguments.Integer("max_rows", options.DefaultMaxRows, 1, options.MaxRows);

        // No command timeout of Npgsql's own: a held statement waits for its approval; the call's deadline bounds it.
        await using var connection = listeners.Postgres(caller, target, commandTimeoutSeconds: 0);
        var lastNotice = (string?)null;
        connection.Notice += (_, e) =>
        {
            var text = e.Notice.MessageText + (e.Notice.Detail is { Length: > 0 } detail ? " " + detail : "") + (e.Notice.Hint is { Length: > 0 } hint ? " " + hint : "");
            lastNotice = text;
            _ = progress.ReportAsync(text, ct);
        };

        try
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            await using var heartbeat = progress.Every(elapsed => $"still running after {elapsed.TotalSeconds:0} s" + (lastNotice is { } notice ? $" ({notice})" : ""), ct);
            await using var command = new NpgsqlCommand(sql, connection);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            return McpToolResults.Json(await ReadAsync(reader, maxRows, ct).ConfigureAwait(false));
        }
        catch (PostgresException e)
        {
            // The gateway's refusals name their rule (and an approval) in the message; the target's own errors too.
            return McpToolResults.Error($"{e.Severity} {e.SqlState}: {e.MessageText}"
                + (e.Detail is { Length: > 0 } detail ? $"\nDETAIL: {detail}" : "")
                + (e.Hint is { Length: > 0 } hint ? $"\nHINT: {hint}" : "")
                + (Approval(e.MessageText) is { } approval ? $"\nCheck it with the approval_status tool (approval_id \"{approval}\"), then call postgres_query again with the same SQL once it is approved." : ""));
        }
        catch (NpgsqlException e) when (!ct.IsCancellationRequested)
        {
            return McpToolResults.Error($"the gateway's PostgreSQL listener could not be used: {e.Message}");
        }
    }

    /// <summary>The first result with columns (or the row count of a command without): at most <paramref name="maxRows"/> rows.</summary>
    private static async Task<JsonObject> ReadAsync(NpgsqlDataReader reader, int maxRows, CancellationToken ct)
    {
        do
        {
            if (reader.FieldCount == 0)
            {
                continue;
            }

            var columns = new JsonArray();
            for (var i = 0; i < reader.FieldCount; i++)
            {
                columns.Add(new JsonObject { ["name"] = reader.GetName(i), ["type"] = reader.GetDataTypeName(i) });
            }

            var rows = new JsonArray();
            var truncated = false;
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                if (rows.Count == maxRows)
                {
                    truncated = true;
                    break; // the rest is read past (and counted by the gateway's row budget) when the reader closes
                }

                var row = new JsonArray();
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    row.Add(Value(reader, i));
                }

                rows.Add(row);
            }

            return new JsonObject { ["columns"] = columns, ["rows"] = rows, ["row_count"] = rows.Count, ["truncated"] = truncated };
        }
        while (await reader.NextResultAsync(ct).ConfigureAwait(false));

        return new JsonObject { ["columns"] = new JsonArray(), ["rows"] = new JsonArray(), ["row_count"] = 0, ["truncated"] = false, ["records_affected"] = reader.RecordsAffected };
    }

    /// <summary>A field as JSON: numbers and booleans as such, everything else as the text PostgreSQL would show.</summary>
    private static JsonNode? Value(NpgsqlDataReader reader, int ordinal)
    {
        if (reader.IsDBNull(ordinal))
        {
            return null;
        }

        object value;
        try
        {
            value = reader.GetValue(ordinal);
        }
        catch (Exception e) when (e is InvalidCastException or NotSupportedException)
        {
            return $"<{reader.GetDataTypeName(ordinal)} value not readable as JSON>";
        }

        return value switch
        {
            bool b => b,
            short n => n,
            int n => n,
            long n => n,
            decimal n => n,
            float n when float.IsFinite(n) => n,
            double n when double.IsFinite(n) => n,
            string s => s,
            byte[] bytes => "\\x" + Convert.ToHexStringLower(bytes),
            DateTime d => d.ToString("O", CultureInfo.InvariantCulture),
            DateTimeOffset d => d.ToString("O", CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString(),
        };
    }

    /// <summary>The approval id a refusal names (<c>apr-</c> and 20 hex digits), or null.</summary>
    internal static string? Approval(string message)
    {
        var at = message.IndexOf("apr-", StringComparison.Ordinal);
        return at >= 0 && message.Length >= at + 24 && ApprovalKeys.IsId(message.Substring(at, 24)) ? message.Substring(at, 24) : null;
    }
}
