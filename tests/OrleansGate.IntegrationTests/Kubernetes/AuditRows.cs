using Npgsql;

namespace OrleansGate.IntegrationTests.Kubernetes;

/// <summary>Counts audit records in the state database (the tests' audit store), for the kubectl tests.</summary>
internal static class AuditRows
{
    /// <summary>Records whose text holds every one of <paramref name="parts"/>.</summary>
    public static async Task<long> CountAsync(string stateConnectionString, params string[] parts)
    {
        await using var state = new NpgsqlConnection(stateConnectionString);
        await state.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM orleansgate_audit a WHERE " + string.Join(" AND ", parts.Select((_, i) => $"strpos(a::text, ${i + 1}) > 0")), state);
        foreach (var part in parts)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = part });
        }

        return (long)(await command.ExecuteScalarAsync())!;
    }
}
