using Npgsql;

namespace OrleansGate.Audit.Verify;

public sealed partial class AuditVerifier
{
    /// <summary>Every writer's rows in its own order (the database sorts; one writer's walk is in memory at a time).</summary>
    private static async Task<List<AuditWriterReport>> VerifyWritersAsync(
        NpgsqlConnection connection, SignatureSet signatures, List<AuditProblem> problems, List<string> notes, CancellationToken cancellationToken)
    {
        var reports = new List<AuditWriterReport>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand("SELECT writer, writer_seq, seq, hash FROM orleansgate_audit ORDER BY writer, writer_seq, seq", connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            WriterWalk? walk = null;
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var writer = reader.GetString(0);
                if (walk?.Writer != writer)
                {
                    if (walk is not null)
                    {
                        reports.Add(walk.Finish());
                    }

                    seen.Add(writer);
                    walk = new WriterWalk(writer, signatures.For(writer), problems);
                }

                walk.Row(reader.GetInt64(1), reader.GetInt64(2), reader.GetString(3));
            }

            if (walk is not null)
            {
                reports.Add(walk.Finish());
            }
        }

        // Writers with signatures but no rows left: a writer that wrote nothing, or one whose every row was deleted.
        foreach (var writer in signatures.Writers.Where(w => !seen.Contains(w)).ToList())
        {
            reports.Add(new WriterWalk(writer, signatures.For(writer), problems).Finish());
        }

        foreach (var open in reports.Where(r => r is { State: AuditWriterState.Open, Pending: > 0 }))
        {
            notes.Add($"writer {open.Writer} is open: its {open.Pending} records after #{open.SignedThrough} are not signed yet (at risk until its next signature, or its seal if it died)");
        }

        reports.Sort((a, b) => string.CompareOrdinal(a.Writer, b.Writer));
        return reports;
    }
}
