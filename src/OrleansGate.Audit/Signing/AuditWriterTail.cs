using Npgsql;

namespace OrleansGate.Audit.Signing;

/// <summary>
/// What a writer that is gone left after its last signature, as a sealer reads it: the rows that follow, folded onto
/// its last signed digest, and any numbers missing or repeated among them.
/// </summary>
public sealed record AuditWriterTail(AuditSignature LastSigned, long EndSeq, string Digest, IReadOnlyList<long[]> Missing, IReadOnlyList<string> Problems)
{
    /// <summary>Null when the writer has no signed start, or has already ended or been sealed.</summary>
    public static async Task<AuditWriterTail?> ReadAsync(NpgsqlDataSource dataSource, string writer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        var signatures = await AuditSignatureReader.ReadAllAsync(dataSource, writer, cancellationToken);
        if (signatures.Count == 0 || signatures[0].ParsedKind != AuditSignatureKind.Start
            || signatures.Any(s => s.ParsedKind is AuditSignatureKind.End or AuditSignatureKind.Seal))
        {
            return null;
        }

        // Ordered by number: the start (#1) first, the writer's last signature last (a seal, #0, would have returned above).
        var last = signatures[^1];
        var digest = WriterDigest.Parse(last.Digest);
        var missing = new List<long[]>();
        var problems = new List<string>();
        var expected = last.WriterSeq + 1;
        await using var command = dataSource.CreateCommand("SELECT writer_seq, hash FROM orleansgate_audit WHERE writer = $1 AND writer_seq > $2 ORDER BY writer_seq");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = writer });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = last.WriterSeq });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var seq = reader.GetInt64(0);
            if (seq < expected)
            {
                problems.Add($"row #{seq} appears more than once");
                continue;
            }

            if (seq > expected)
            {
                missing.Add([expected, seq - 1]);
                problems.Add($"rows #{expected}..#{seq - 1} are missing although later rows exist");
                for (var gap = expected; gap < seq; gap++)
                {
                    WriterDigest.FoldMissing(digest, gap);
                }
            }

            WriterDigest.FoldRow(digest, seq, reader.GetString(1));
            expected = seq + 1;
        }

        return new AuditWriterTail(last, expected - 1, WriterDigest.Format(digest), missing, problems);
    }
}
