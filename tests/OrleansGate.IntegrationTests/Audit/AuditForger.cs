using Npgsql;
using OrleansGate.Audit;
using OrleansGate.Grains.Audit;

namespace OrleansGate.IntegrationTests.Audit;

/// <summary>
/// What an insider who knows the (unkeyed) chain hash does: edits a row and recomputes its hash and every later link of
/// its session, or inserts a row with a valid chain hash, so that every session chain still verifies.
/// </summary>
internal static class AuditForger
{
    public static async Task<List<AuditRow>> ReadSessionAsync(AuditLog log, string sessionId)
    {
        await using var connection = new NpgsqlConnection(log.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT {AuditRowReader.Columns} FROM orleansgate_audit WHERE session_id = $1 ORDER BY session_seq", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sessionId });
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<AuditRow>();
        while (await reader.ReadAsync())
        {
            rows.Add(AuditRowReader.Read(reader));
        }

        return rows;
    }

    /// <summary>Rewrites record #<paramref name="sessionSeq"/> of the session with <paramref name="edit"/>, relinking the rest of the chain.</summary>
    public static async Task RewriteAsync(AuditLog log, string sessionId, long sessionSeq, Func<AuditRow, AuditRow> edit)
    {
        var rows = await ReadSessionAsync(log, sessionId);
        var prev = sessionSeq == 1 ? AuditRow.GenesisHash : rows.Single(r => r.SessionSeq == sessionSeq - 1).Hash;
        var sql = new List<string>();
        foreach (var row in rows.Where(r => r.SessionSeq >= sessionSeq))
        {
            var changed = (row.SessionSeq == sessionSeq ? edit(row) : row) with { PrevHash = prev };
            changed = changed with { Hash = AuditHash.Compute(changed) };
            sql.Add($"UPDATE orleansgate_audit SET decision = {Literal(changed.Decision)}, outcome = {Literal(changed.Outcome)}, " +
                $"statement_normalized = {Literal(changed.Statement)}, prev_hash = '{changed.PrevHash}', hash = '{changed.Hash}' WHERE seq = {row.Seq}");
            prev = changed.Hash;
        }

        await log.TamperAsync(string.Join(";\n", sql));
    }

    /// <summary>
    /// Inserts a forged record after the session's last one, with a valid chain hash, claiming <paramref name="writer"/>
    /// #<paramref name="writerSeq"/>: as the gateway's runtime role, which may insert (no trigger needs switching off).
    /// </summary>
    public static async Task<long> InsertAfterAsync(AuditLog log, string sessionId, string writer, long writerSeq, string statement)
    {
        var last = (await ReadSessionAsync(log, sessionId))[^1];
        var forged = last with { SessionSeq = last.SessionSeq + 1, PrevHash = last.Hash, Statement = statement, At = last.At.AddMilliseconds(1), CompletesSeq = null };
        forged = forged with { Hash = AuditHash.Compute(forged) };
        await log.AsRuntimeRoleAsync(
            $"""
            INSERT INTO orleansgate_audit (writer, writer_seq, at, kind, issuer, subject, token_id, groups, session_id, session_seq, edge_node, client_address,
                target, protocol, statement_fingerprint, statement_normalized, statement_kinds, relations_read, relations_written, decision, rule, reason,
                policy_version, approval_id, approver, masked_columns, rows_affected, duration_us, outcome, prev_hash, hash, completes_seq)
            SELECT '{writer}', {writerSeq}, at + interval '1 millisecond', kind, issuer, subject, token_id, groups, session_id, {forged.SessionSeq}, edge_node,
                client_address, target, protocol, statement_fingerprint, {Literal(statement)}, statement_kinds, relations_read, relations_written, decision,
                rule, reason, policy_version, approval_id, approver, masked_columns, rows_affected, duration_us, outcome, '{forged.PrevHash}', '{forged.Hash}', NULL
            FROM orleansgate_audit WHERE seq = {last.Seq}
            """);
        return await log.ScalarAsync($"SELECT seq FROM orleansgate_audit WHERE session_id = '{sessionId}' AND session_seq = {forged.SessionSeq}");
    }

    private static string Literal(string? value) => value is null ? "NULL" : "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
}
