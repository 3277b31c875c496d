using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using OrleansGate.Audit.Signing;

namespace OrleansGate.Audit;

/// <summary>The batch insert: one statement, columns passed as arrays and unnested server-side.</summary>
public sealed partial class PostgresAuditSink
{
    // One parameter per column (arrays of the batch's values); list columns are JSON arrays as text. The writer and the
    // writer's number of the first row are scalars: row i gets $32 + i - 1 (unnest keeps the arrays' order).
    // With the fence's lock before it, one implicit transaction: atomic, one round trip (both pipelined before one Sync).
    private const string InsertSql = """
        INSERT INTO orleansgate_audit (writer, at, kind, issuer, subject, token_id, groups, session_id, session_seq, edge_node,
            client_address, target, protocol, statement_fingerprint, statement_normalized, statement_kinds, relations_read,
            relations_written, decision, rule, reason, policy_version, approval_id, approver, masked_columns, rows_affected,
            duration_us, outcome, prev_hash, hash, completes_seq, writer_seq)
        SELECT $1, u.at, u.kind, u.issuer, u.subject, u.token_id, u.groups, u.session_id, u.session_seq, u.edge_node,
            u.client_address, u.target, u.protocol, u.fingerprint, u.statement, u.kinds, u.rel_read,
            u.rel_written, u.decision, u.rule, u.reason, u.policy_version, u.approval_id, u.approver, u.masked, u.rows_affected,
            u.duration_us, u.outcome, u.prev_hash, u.hash, u.completes_seq, $32 + u.n - 1
        FROM unnest($2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[],
            $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[],
            $19::text[], $20::text[], $21::text[], $22::bigint[], $23::text[], $24::text[], $25::text[], $26::bigint[],
            $27::bigint[], $28::text[], $29::text[], $30::text[], $31::bigint[]) WITH ORDINALITY
            AS u(at, kind, issuer, subject, token_id, groups, session_id, session_seq, edge_node, client_address, target, protocol,
                 fingerprint, statement, kinds, rel_read, rel_written, decision, rule, reason, policy_version, approval_id, approver,
                 masked, rows_affected, duration_us, outcome, prev_hash, hash, completes_seq, n)
        WHERE NOT EXISTS (SELECT 1 FROM orleansgate_audit_signature s WHERE s.writer = $1 AND s.number = 0)
        """;

    /// <summary>
    /// The batch insert fenced against the writer's seal (AuditWriterFence): the writer's lock, shared, then the insert,
    /// which writes nothing once the writer is sealed. One round trip, one implicit transaction; the insert's snapshot is
    /// taken after the lock, so it sees a seal that committed while it waited.
    /// </summary>
    private static NpgsqlBatch CreateFencedInsert(NpgsqlConnection connection, WriterStream stream, long firstWriterSeq, AuditRow[] all)
    {
        var batch = new NpgsqlBatch(connection);
        var fence = new NpgsqlBatchCommand(AuditWriterFence.SharedLockSql);
        fence.Parameters.Add(new NpgsqlParameter<long> { TypedValue = stream.FenceKey });
        batch.BatchCommands.Add(fence);
        batch.BatchCommands.Add(CreateInsert(stream.WriterId, firstWriterSeq, all));
        return batch;
    }

    private static NpgsqlBatchCommand CreateInsert(string writer, long firstWriterSeq, AuditRow[] all)
    {
        var n = all.Length;
        var at = new DateTime[n];
        var kind = new string[n];
        var issuer = new string[n];
        var subject = new string[n];
        var tokenId = new string?[n];
        var groups = new string[n];
        var sessionId = new string[n];
        var sessionSeq = new long[n];
        var edgeNode = new string[n];
        var clientAddress = new string[n];
        var target = new string[n];
        var protocol = new string[n];
        var fingerprint = new string?[n];
        var statement = new string?[n];
        var kinds = new string?[n];
        var relRead = new string[n];
        var relWritten = new string[n];
        var decision = new string?[n];
        var rule = new string?[n];
        var reason = new string?[n];
        var policyVersion = new long?[n];
        var approvalId = new string?[n];
        var approver = new string?[n];
        var masked = new string[n];
        var rows = new long?[n];
        var duration = new long?[n];
        var outcome = new string?[n];
        var prevHash = new string[n];
        var hash = new string[n];
        var completes = new long?[n];
        for (var i = 0; i < n; i++)
        {
            var r = all[i];
            at[i] = r.At.UtcDateTime;
            kind[i] = r.Kind;
            issuer[i] = r.Issuer;
            subject[i] = r.Subject;
            tokenId[i] = r.TokenId;
            groups[i] = JsonList(r.Groups);
            sessionId[i] = r.SessionId;
            sessionSeq[i] = r.SessionSeq;
            edgeNode[i] = r.EdgeNode;
            clientAddress[i] = r.ClientAddress;
            target[i] = r.Target;
            protocol[i] = r.Protocol;
            fingerprint[i] = r.Fingerprint;
            statement[i] = r.Statement;
            kinds[i] = r.StatementKinds;
            relRead[i] = JsonList(r.RelationsRead);
            relWritten[i] = JsonList(r.RelationsWritten);
            decision[i] = r.Decision;
            rule[i] = r.Rule;
            reason[i] = r.Reason;
            policyVersion[i] = r.PolicyVersion;
            approvalId[i] = r.ApprovalId;
            approver[i] = r.Approver;
            masked[i] = JsonList(r.MaskedColumns);
            rows[i] = r.Rows;
            duration[i] = r.DurationMicroseconds;
            outcome[i] = r.Outcome;
            prevHash[i] = r.PrevHash;
            hash[i] = r.Hash;
            completes[i] = r.CompletesSeq;
        }

        var command = new NpgsqlBatchCommand(InsertSql);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<string> { TypedValue = writer });
        p.Add(new NpgsqlParameter<DateTime[]> { TypedValue = at, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        AddText(p, kind);
        AddText(p, issuer);
        AddText(p, subject);
        AddText(p, tokenId);
        AddText(p, groups);
        AddText(p, sessionId);
        p.Add(new NpgsqlParameter<long[]> { TypedValue = sessionSeq });
        AddText(p, edgeNode);
        AddText(p, clientAddress);
        AddText(p, target);
        AddText(p, protocol);
        AddText(p, fingerprint);
        AddText(p, statement);
        AddText(p, kinds);
        AddText(p, relRead);
        AddText(p, relWritten);
        AddText(p, decision);
        AddText(p, rule);
        AddText(p, reason);
        p.Add(new NpgsqlParameter<long?[]> { TypedValue = policyVersion });
        AddText(p, approvalId);
        AddText(p, approver);
        AddText(p, masked);
        p.Add(new NpgsqlParameter<long?[]> { TypedValue = rows });
        p.Add(new NpgsqlParameter<long?[]> { TypedValue = duration });
        AddText(p, outcome);
        AddText(p, prevHash);
        AddText(p, hash);
        p.Add(new NpgsqlParameter<long?[]> { TypedValue = completes });
        p.Add(new NpgsqlParameter<long> { TypedValue = firstWriterSeq });
        return command;
    }

    /// <summary>Most rows name no written relation and mask nothing: an empty list is written without the serializer.</summary>
    private static string JsonList(IReadOnlyList<string> values) =>
        values.Count == 0 ? "[]" : JsonSerializer.Serialize(values, AuditJson.Default.IReadOnlyListString);

    private static void AddText(NpgsqlParameterCollection parameters, string?[] values) =>
        parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = values, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
}
