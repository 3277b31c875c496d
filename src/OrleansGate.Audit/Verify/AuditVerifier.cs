using System.Security.Cryptography;
using Npgsql;
using OrleansGate.Audit.Signing;

namespace OrleansGate.Audit.Verify;

/// <summary>
/// Checks the audit log straight from the database (no cluster), with only public keys: every chain, every writer's
/// signed sequence, and the checkpoint files outside the database against the database's signatures.
/// </summary>
/// <remarks>
/// 1. Chains: per session, records are numbered 1, 2, 3 … with no gap or repeat, each links to the previous record's
///    hash, its own hash matches its fields, and global sequence numbers rise along the chain.
/// 2. Writers: each writer's rows, in its own order, must follow 1, 2, 3 … and fold to the digest each of its signatures
///    states; every signature must verify with a trusted key; the first must be a start, the last an end (signed), a
///    seal (sealed) or neither (open: rows after its last signature are at risk, and said so).
/// 3. Anchors: every line of each checkpoint file must be in the database, and every signature of a writer anchored to
///    that file must be in it, so deleting signed rows needs both stores changed.
/// </remarks>
public sealed partial class AuditVerifier(NpgsqlDataSource dataSource)
{
    /// <summary>For tests: runs after the snapshot's signatures are read and before the checkpoint files are.</summary>
    internal Func<CancellationToken, Task>? AfterSnapshotRead { get; init; }

    /// <summary>
    /// Verifies the log. <paramref name="trustedKeys"/> are the public keys signatures may be made with (by key id);
    /// <paramref name="anchorFiles"/> the checkpoint files to compare (a path, or NODE=PATH to match a node's writers by name).
    /// </summary>
    public async Task<AuditVerifyReport> VerifyAsync(IReadOnlyDictionary<string, ECDsa> trustedKeys, IReadOnlyList<string> anchorFiles, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(trustedKeys);
        ArgumentNullException.ThrowIfNull(anchorFiles);
        var problems = new List<AuditProblem>();
        var notes = new List<string>();

        // One snapshot for every read: a signature it holds covers rows it holds too (they committed before it was made).
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var snapshot = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        DateTimeOffset taken;
        await using (var now = new NpgsqlCommand("SELECT clock_timestamp()", connection))
        {
            taken = new DateTimeOffset((DateTime)(await now.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!, TimeSpan.Zero);
        }

        var (rows, chains, systemChains) = await VerifyChainsAsync(connection, problems, cancellationToken).ConfigureAwait(false);
        var stored = await AuditSignatureReader.ReadAllAsync(connection, null, cancellationToken).ConfigureAwait(false);
        if (AfterSnapshotRead is not null)
        {
            await AfterSnapshotRead(cancellationToken).ConfigureAwait(false);
        }

        // Files are read after the snapshot; what was signed after it is not in the snapshot yet, and is left out.
        var files = ReadAnchorFiles(anchorFiles, problems, taken, notes);
        files = await LeaveOutStoredSinceAsync(files, stored, notes, cancellationToken).ConfigureAwait(false);
        var signatures = new SignatureSet(trustedKeys, problems);
        signatures.AddStored(stored);
        foreach (var file in files)
        {
            signatures.AddFromFile(file);
        }

        var writers = await VerifyWritersAsync(connection, signatures, problems, notes, cancellationToken).ConfigureAwait(false);
        CompareAnchors(files, stored, signatures, writers, problems, notes);

        problems.Sort((a, b) => a.Kind != b.Kind ? a.Kind.CompareTo(b.Kind) : a.Seq.CompareTo(b.Seq));
        return new AuditVerifyReport(rows, chains, systemChains, writers, problems, notes);
    }

    /// <summary>
    /// A signature made before the snapshot but stored after it (its node signed while the store was down, or between its
    /// file and its database) is in a file and not in the snapshot. The database is read again after the files (outside
    /// the snapshot): a line found there, identical, was stored late, not deleted, and is left out of the comparison like
    /// the signatures made after the snapshot. One deleted from the database is in neither read and is still a problem.
    /// </summary>
    private async Task<List<AnchorFile>> LeaveOutStoredSinceAsync(List<AnchorFile> files, List<AuditSignature> stored, List<string> notes, CancellationToken cancellationToken)
    {
        var inSnapshot = stored.ToHashSet();
        if (files.All(f => f.Lines.All(l => inSnapshot.Contains(l.Signature))))
        {
            return files;
        }

        var now = (await AuditSignatureReader.ReadAllAsync(dataSource, null, cancellationToken).ConfigureAwait(false)).ToHashSet();
        var result = new List<AnchorFile>(files.Count);
        foreach (var file in files)
        {
            var late = file.Lines.Count(l => !inSnapshot.Contains(l.Signature) && now.Contains(l.Signature));
            if (late > 0)
            {
                notes.Add($"{late} signatures of {file.Path} were stored after the database was read, and are not compared");
                result.Add(file with { Lines = [.. file.Lines.Where(l => inSnapshot.Contains(l.Signature) || !now.Contains(l.Signature))] });
            }
            else
            {
                result.Add(file);
            }
        }

        return result;
    }

    private static async Task<(long Rows, int Chains, int SystemChains)> VerifyChainsAsync(NpgsqlConnection connection, List<AuditProblem> problems, CancellationToken cancellationToken)
    {
        long rows = 0;
        var chains = 0;
        var systemChains = 0;
        await using var command = new NpgsqlCommand($"SELECT {AuditRowReader.Columns} FROM orleansgate_audit ORDER BY session_id, session_seq, seq", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
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
        }

        return (rows, chains, systemChains);
    }

    private static bool IsSystemChain(string chainId) =>
        chainId == AuditChainIds.Policy || chainId.Contains(':', StringComparison.Ordinal);
}
