using Npgsql;

namespace OrleansGate.Audit;

/// <summary>
/// Ends the backend that ran a batch whose answer was lost, if it is still running it. Until it has ended, the batch
/// may still commit, so looking it up could give an answer that changes afterwards.
/// </summary>
internal static class AuditBackend
{
    /// <summary>True when no backend of this role is running the batch insert with that process id any more.</summary>
    public static async Task<bool> EndInsertAsync(NpgsqlConnection connection, int pid, CancellationToken cancellationToken)
    {
        // Only our own role's backend, and only while it runs the batch: its fence lock (where it waits while its writer is
        // being sealed) or its insert; a process id can be reused after a restart.
        // pg_terminate_backend(pid, timeout) waits up to the timeout for the backend to exit (PostgreSQL 14+).
        await using var command = new NpgsqlCommand(
            """
            SELECT coalesce(bool_and(pg_terminate_backend(pid, 5000)), true)
            FROM pg_stat_activity
            WHERE pid = $1 AND usename = current_user AND state = 'active'
              AND (query LIKE 'INSERT INTO orleansgate_audit (%' OR query = $2)
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = pid });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Signing.AuditWriterFence.SharedLockSql });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
