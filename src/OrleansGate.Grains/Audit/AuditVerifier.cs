using System.Text.Json;
using Npgsql;

namespace OrleansGate.Grains.Audit;

/// <summary>
/// Checks the audit log straight from the database (no cluster): every session chain, then every signed checkpoint.
/// </summary>
/// <remarks>
/// 1. Chains: per session, records must be numbered 1, 2, 3 … with no gap or repeat, each must link to the
///    previous record's hash, its own hash must match its fields, and global sequence numbers must rise with
///    the chain (a session's records are written one after another, so a lower one means rows were swapped).
/// 2. Checkpoints: signatures (with the key), the file outside the database against the database's copy, and
///    each checkpoint's (seq, hash) fold against the rows now there: a deleted tail up to the last checkpoint
///    shows here even though every remaining chain is intact. Rows after the last checkpoint are covered by
///    their chains only; the report says how many.
/// </remarks>
public sealed class AuditVerifier(NpgsqlDataSource dataSource)
{
    public async Task<AuditVerifyReport> VerifyAsync(byte[]? key, string? checkpointFile, CancellationToken cancellationToken)
    {
        var problems = new List<AuditProblem>();
        var byWriter = new Dictionary<string, List<(long Seq, string Hash)>>(StringComparer.Ordinal);
        long rows = 0;
        var chains = 0;
        var systemChains = 0;
        await using (var command = dataSource.CreateCommand($"SELECT {AuditRowReader.Columns} FROM orleansgate_audit ORDER BY session_id, session_seq, seq"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            string? session = null;
            long expected = 1, prevSeq = 0;
            var prevHash = AuditRow.GenesisHash;
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var row = AuditRowReader.Read(reader);
                rows++;
                if (row.SessionId != session)
                {
                    session = row.SessionId;
                    chains++;

                    // Policy changes, revocations and login refusals chain like sessions (AuditChainIds); counted apart.
                    systemChains += IsSystemChain(session) ? 1 : 0;
                    (expected, prevSeq, prevHash) = (1, 0, AuditRow.GenesisHash);
                }

                var where = $"record seq {row.Seq} (session {row.SessionId} #{row.SessionSeq})";
                if (row.SessionSeq < expected)
                {
                    problems.Add(new(row.Seq, $"{where} repeats a number already in the chain: the chain forks"));
                }
                else if (row.SessionSeq > expected)
                {
                    problems.Add(new(row.Seq, $"{where}: records #{expected}..#{row.SessionSeq - 1} of this session are missing (deleted)"));
                }
                else if (row.PrevHash != prevHash)
                {
                    problems.Add(new(row.Seq, $"{where} does not link to #{row.SessionSeq - 1}: the previous record was altered or replaced"));
                }

                if (AuditHash.Compute(row) != row.Hash)
                {
                    problems.Add(new(row.Seq, $"{where} was altered: its fields do not match its hash"));
                }

                if (row.Seq < prevSeq)
                {
                    problems.Add(new(row.Seq, $"{where} comes after #{row.SessionSeq - 1} (seq {prevSeq}) in its chain but has a lower global sequence: rows were reordered"));
                }

                if (row.SessionSeq >= expected)
                {
                    (expected, prevSeq, prevHash) = (row.SessionSeq + 1, row.Seq, row.Hash);
                }

                if (!byWriter.TryGetValue(row.Writer, out var list))
                {
                    byWriter[row.Writer] = list = [];
                }

                list.Add((row.Seq, row.Hash));
            }
        }

        var database = await ReadDatabaseCheckpointsAsync(cancellationToken).ConfigureAwait(false);
        var signed = database;
        if (!string.IsNullOrWhiteSpace(checkpointFile) && (File.Exists(checkpointFile) || database.Count > 0))
        {
            signed = ReadFileCheckpoints(checkpointFile, problems);
            CompareWithDatabase(signed, database, problems);
        }

        if (key is not null)
        {
            foreach (var c in signed.Concat(database).Where(c => !c.HasValidMac(key)).Distinct())
            {
                problems.Add(new(c.FirstSeq, $"checkpoint #{c.Number} of writer {c.Writer} has an invalid signature: it was forged or altered", true));
            }
        }

        long lastSigned = 0, unsigned = 0;
        foreach (var group in signed.GroupBy(c => c.Writer, StringComparer.Ordinal))
        {
            var written = byWriter.TryGetValue(group.Key, out var w) ? w : [];
            written.Sort((a, b) => a.Seq.CompareTo(b.Seq));
            var last = CheckWriter(group.Key, [.. group.OrderBy(c => c.Number)], written, problems);
            lastSigned = Math.Max(lastSigned, last);
            unsigned += written.Count(r => r.Seq > last);
        }

        unsigned += byWriter.Where(w => !signed.Any(c => c.Writer == w.Key)).Sum(w => w.Value.Count);
        problems.Sort((a, b) => a.Checkpoint != b.Checkpoint ? a.Checkpoint.CompareTo(b.Checkpoint) : a.Seq.CompareTo(b.Seq));
        return new AuditVerifyReport(rows, chains, signed.Count, lastSigned, unsigned, problems) { SystemChains = systemChains };
    }

    private static bool IsSystemChain(string chainId) =>
        chainId == AuditChainIds.Policy || chainId.Contains(':', StringComparison.Ordinal);

    /// <summary>Checks one writer's checkpoints in order; returns the last sequence they sign.</summary>
    private static long CheckWriter(string writer, List<AuditCheckpoint> checkpoints, List<(long Seq, string Hash)> written, List<AuditProblem> problems)
    {
        var prev = AuditRow.GenesisHash;
        long lastSeq = 0;
        for (var i = 0; i < checkpoints.Count; i++)
        {
            var c = checkpoints[i];
            if (c.Number != i + 1 || c.PrevHash != prev || c.FirstSeq != lastSeq + 1)
            {
                problems.Add(new(c.FirstSeq, $"checkpoint #{c.Number} of writer {writer} does not follow checkpoint #{i}: a checkpoint is missing or altered", true));
            }

            var range = written.Where(r => r.Seq >= c.FirstSeq && r.Seq <= c.LastSeq).ToList();
            if (range.Count != c.RowCount || AuditCheckpoint.Fold(c.PrevHash, range) != c.Hash)
            {
                problems.Add(Describe(writer, c, range));
            }

            prev = c.Hash;
            lastSeq = c.LastSeq;
        }

        return lastSeq;
    }

    private static AuditProblem Describe(string writer, AuditCheckpoint c, List<(long Seq, string Hash)> range)
    {
        var signedBy = $"checkpoint #{c.Number} of writer {writer} (seq {c.FirstSeq}..{c.LastSeq}, {c.RowCount} records)";
        if (range.Count == 0 || range[^1].Seq != c.LastSeq)
        {
            // The checkpoint's last record is gone: the tail was deleted. Name the first sequence number missing.
            var kept = range.Count == 0 ? c.FirstSeq - 1 : range[^1].Seq;
            return new(kept + 1, $"records of writer {writer} after seq {kept} up to seq {c.LastSeq} are missing (deleted tail; {c.RowCount - range.Count} of the {c.RowCount} records signed by {signedBy} remain missing)", true);
        }

        if (range.Count < c.RowCount)
        {
            return new(c.FirstSeq, $"{c.RowCount - range.Count} records signed by {signedBy} are missing (deleted)", true);
        }

        return new(c.FirstSeq, $"the records signed by {signedBy} were altered, added or reordered ({range.Count} found)", true);
    }

    private async Task<List<AuditCheckpoint>> ReadDatabaseCheckpointsAsync(CancellationToken cancellationToken)
    {
        var list = new List<AuditCheckpoint>();
        await using var command = dataSource.CreateCommand(
            "SELECT writer, number, at, first_seq, last_seq, row_count, prev_hash, hash, mac FROM orleansgate_audit_checkpoint ORDER BY writer, number");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new AuditCheckpoint(
                reader.GetString(0), reader.GetInt64(1), new DateTimeOffset(reader.GetDateTime(2), TimeSpan.Zero), reader.GetInt64(3),
                reader.GetInt64(4), reader.GetInt64(5), reader.GetString(6), reader.GetString(7), reader.GetString(8)));
        }

        return list;
    }

    private static List<AuditCheckpoint> ReadFileCheckpoints(string path, List<AuditProblem> problems)
    {
        var list = new List<AuditCheckpoint>();
        if (!File.Exists(path))
        {
            problems.Add(new(0, $"the checkpoint file '{path}' does not exist, yet the database holds checkpoints", true));
            return list;
        }

        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (line.Length == 0)
            {
                continue;
            }

            try
            {
                list.Add(JsonSerializer.Deserialize(line, AuditJson.Default.AuditCheckpoint) ?? throw new JsonException("null"));
            }
            catch (JsonException)
            {
                problems.Add(new(0, $"line {number} of the checkpoint file '{path}' is not a checkpoint", true));
            }
        }

        return list;
    }

    private static void CompareWithDatabase(List<AuditCheckpoint> file, List<AuditCheckpoint> database, List<AuditProblem> problems)
    {
        var stored = database.ToDictionary(c => (c.Writer, c.Number));
        foreach (var c in file)
        {
            if (!stored.TryGetValue((c.Writer, c.Number), out var d))
            {
                problems.Add(new(c.FirstSeq, $"checkpoint #{c.Number} of writer {c.Writer} is in the checkpoint file but not in the database (deleted)", true));
            }
            else if (d != c)
            {
                problems.Add(new(c.FirstSeq, $"checkpoint #{c.Number} of writer {c.Writer} differs between the checkpoint file and the database", true));
            }
        }
    }
}
