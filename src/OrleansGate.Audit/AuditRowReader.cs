using System.Text.Json;
using Npgsql;

namespace OrleansGate.Audit;

/// <summary>Reads audit rows back exactly as stored (for verify, tail and search).</summary>
public static class AuditRowReader
{
    public const string Columns =
        "seq, writer, at, kind, issuer, subject, token_id, groups, session_id, session_seq, edge_node, client_address, target, protocol, " +
        "statement_fingerprint, statement_normalized, statement_kinds, relations_read, relations_written, decision, rule, reason, " +
        "policy_version, approval_id, approver, masked_columns, rows_affected, duration_us, outcome, prev_hash, hash, completes_seq, writer_seq";

    public static AuditRow Read(NpgsqlDataReader r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new AuditRow
        {
            Seq = r.GetInt64(0),
            Writer = r.GetString(1),
            At = new DateTimeOffset(r.GetDateTime(2), TimeSpan.Zero),
            Kind = r.GetString(3),
            Issuer = r.GetString(4),
            Subject = r.GetString(5),
            TokenId = Text(r, 6),
            Groups = List(r, 7),
            SessionId = r.GetString(8),
            SessionSeq = r.GetInt64(9),
            EdgeNode = r.GetString(10),
            ClientAddress = r.GetString(11),
            Target = r.GetString(12),
            Protocol = r.GetString(13),
            Fingerprint = Text(r, 14),
            Statement = Text(r, 15),
            StatementKinds = Text(r, 16),
            RelationsRead = List(r, 17),
            RelationsWritten = List(r, 18),
            Decision = Text(r, 19),
            Rule = Text(r, 20),
            Reason = Text(r, 21),
            PolicyVersion = Long(r, 22),
            ApprovalId = Text(r, 23),
            Approver = Text(r, 24),
            MaskedColumns = List(r, 25),
            Rows = Long(r, 26),
            DurationMicroseconds = Long(r, 27),
            Outcome = Text(r, 28),
            PrevHash = r.GetString(29),
            Hash = r.GetString(30),
            CompletesSeq = Long(r, 31),
            WriterSeq = r.GetInt64(32),
        };
    }

    private static string? Text(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static long? Long(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);

    // A list that is not a JSON array of strings was edited by hand: read it as a marker that cannot hash alike.
    private static string[] List(NpgsqlDataReader r, int i)
    {
        var text = r.GetString(i);
        try
        {
            return JsonSerializer.Deserialize(text, AuditJson.Default.StringArray) ?? [];
        }
        catch (JsonException)
        {
            return ["\uFFFF(not a list) " + text];
        }
    }
}
