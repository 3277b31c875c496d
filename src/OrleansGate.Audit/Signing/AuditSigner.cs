using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace OrleansGate.Audit.Signing;

/// <summary>
/// Makes every signature of this process, one at a time, and stores each in two places: first the append-only
/// checkpoint file outside the database (fsynced), then <c>orleansgate_audit_signature</c>. A signature that could not be
/// stored yet is kept and stored first at the next attempt, in order.
/// </summary>
/// <remarks>
/// <code>
///  writer loops ──commit──► WriterStream (seq, digest)          every SignInterval:
///                               │                                 snapshot → sign (ECDSA P-256) → file (fsync) → database
///                               └── start: signed and stored before the writer's first row
/// </code>
/// Fail closed: when rows have stayed unsigned for longer than <see cref="AuditOptions.MaxUnsignedAge"/> (the file or
/// the database refuses the signatures), <see cref="RefusalReason"/> makes the writers refuse new records, so what is
/// written stays within a signed window.
/// </remarks>
public sealed partial class AuditSigner : IDisposable
{
    private readonly AuditOptions _options;
    private readonly AuditSigningKey _key;
    private readonly NpgsqlDataSource _dataSource;
    private readonly AuditWriterIdentity _identity;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ILogger _export;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, Progress> _progress = new(StringComparer.Ordinal);
    private readonly List<(AuditSignature Signature, bool InFile)> _unstored = [];
    private readonly OutageLog _outage;
    private readonly string? _anchorFile;
    private string? _lastError;

    public AuditSigner(
        AuditOptions options, AuditSigningKey key, NpgsqlDataSource dataSource, AuditWriterIdentity identity, TimeProvider time, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        _options = options;
        _key = key;
        _dataSource = dataSource;
        _identity = identity;
        _time = time;
        _logger = loggers.CreateLogger<AuditSigner>();
        _export = loggers.CreateLogger(ExportCategory);
        _outage = new OutageLog(time, TimeSpan.FromMinutes(1));
        _anchorFile = string.IsNullOrWhiteSpace(options.CheckpointFile) ? null : Path.GetFullPath(options.CheckpointFile);
    }

    /// <summary>The log category every stored signature is written to (for an OpenTelemetry log exporter or a SIEM).</summary>
    public const string ExportCategory = "OrleansGate.Audit.Signatures";

    public string KeyId => _key.KeyId;

    /// <summary>Why the writers must refuse new records now (signatures have not been stored for too long); null when they may write.</summary>
    public string? RefusalReason
    {
        get
        {
            var now = _time.GetTimestamp();
            lock (_progress)
            {
                foreach (var p in _progress.Values)
                {
                    if (p.UnsignedSince is { } since && _time.GetElapsedTime(since, now) > _options.MaxUnsignedAge)
                    {
                        return $"audit signatures cannot be stored: {_lastError ?? "no signature stored yet"}";
                    }
                }
            }

            return null;
        }
    }

    /// <summary>Signs and stores <paramref name="stream"/>'s start, once, before its first row is written.</summary>
    /// <exception cref="AuditUnavailableException">It could not be stored: no row of this writer may be written yet.</exception>
    public async Task EnsureStartedAsync(WriterStream stream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (stream.Started)
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_progress.ContainsKey(stream.WriterId))
            {
                var detail = new AuditSignatureDetail
                {
                    Node = _identity.Node,
                    Cluster = _identity.Cluster,
                    Silo = _identity.Silo,
                    ProcessId = Environment.ProcessId,
                    AnchorFile = _anchorFile,
                };
                var start = Sign(stream.WriterId, 1, AuditSignatureKind.Start, 0, WriterDigest.Genesis, stream.WriterId, detail.ToJson());
                lock (_progress)
                {
                    _progress[stream.WriterId] = new Progress(stream) { Number = 1 };
                }

                _unstored.Add((start, false));
            }

            if (!await StorePendingAsync(cancellationToken))
            {
                throw new AuditUnavailableException($"audit store unavailable: the writer's start signature cannot be stored: {_lastError}");
            }

            stream.Started = true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>One round: a signature for every writer with rows (or void numbers) not yet signed, then storage of all pending.</summary>
    public async Task<bool> SignDueAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            _key.Refresh();
            List<Progress> due;
            lock (_progress)
            {
                due = [.. _progress.Values.Where(p => p.Stream.Started && !p.Ended)];
            }

            foreach (var p in due)
            {
                var (seq, digest, voids) = p.Stream.Snapshot();
                if (seq > p.SignedSeq)
                {
                    MakeNext(p, AuditSignatureKind.Sign, seq, digest, voids);
                }
            }

            return await StorePendingAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A clean stop: each started writer signs its end (its loop has stopped, so nothing follows).</summary>
    public async Task EndAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            List<Progress> open;
            lock (_progress)
            {
                open = [.. _progress.Values.Where(p => p.Stream.Started && !p.Ended)];
            }

            foreach (var p in open)
            {
                if (p.Stream.Sealed)
                {
                    // Another node's seal is its end: one more would contradict it.
                    continue;
                }

                if (p.Stream.Unresolved is not null)
                {
                    // Its last batch's fate is unknown: an end would have to guess. Left open; a live node seals it.
                    continue;
                }

                var (seq, digest, voids) = p.Stream.Snapshot();
                MakeNext(p, AuditSignatureKind.End, seq, digest, voids);
                p.Ended = true;
            }

            await StorePendingAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Seals <paramref name="writer"/>, a writer that is gone: reads what it left after its last signature, checks that the
    /// numbers follow without gap or repeat, and signs "it ended at N" with this process's key. Null when it was already
    /// ended or sealed. The seal goes to the database first (only one sealer can win), then to this node's file.
    /// </summary>
    public async Task<AuditSignature?> SealAsync(string writer, string reason, string sealer, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            // The writer's fence, exclusively, until the seal has committed: a batch of the writer (a node that was only
            // paused) either committed before the tail is read, or writes nothing after the seal (AuditWriterFence).
            await using var fence = await _dataSource.OpenConnectionAsync(cancellationToken);
            await using var fenced = await fence.BeginTransactionAsync(cancellationToken);
            await using (var timeout = new NpgsqlCommand($"SET LOCAL lock_timeout = {(int)AuditWriterFence.SealLockTimeout.TotalMilliseconds}", fence, fenced))
            {
                await timeout.ExecuteNonQueryAsync(cancellationToken);
            }

            await using (var exclusive = new NpgsqlCommand(AuditWriterFence.ExclusiveLockSql, fence, fenced))
            {
                exclusive.Parameters.Add(new NpgsqlParameter<long> { TypedValue = AuditWriterFence.LockKey(writer) });
                await exclusive.ExecuteNonQueryAsync(cancellationToken);
            }

            var tail = await AuditWriterTail.ReadAsync(_dataSource, writer, cancellationToken);
            if (tail is null)
            {
                return null;
            }

            var detail = new AuditSignatureDetail
            {
                Node = _identity.Node,
                AnchorFile = _anchorFile,
                LastSigned = tail.LastSigned.WriterSeq,
                LastNumber = tail.LastSigned.Number,
                Note = tail.Problems.Count == 0 ? reason : $"{reason}; {string.Join("; ", tail.Problems)}",
                Missing = tail.Missing,
            };
            var seal = Sign(writer, AuditSignature.SealNumber, AuditSignatureKind.Seal, tail.EndSeq, tail.Digest, sealer, detail.ToJson());
            if (!await InsertAsync(seal, onlyIfOpen: true, cancellationToken))
            {
                return null; // another node sealed it first
            }

            AppendToFile(seal);
            Exported(seal);
            LogSealed(_logger, writer, tail.EndSeq, tail.EndSeq - tail.LastSigned.WriterSeq, tail.Problems.Count);
            return seal;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _gate.Dispose();
        _key.Dispose();
    }

    private void MakeNext(Progress p, AuditSignatureKind kind, long seq, string digest, IReadOnlyList<long[]> voids)
    {
        var detail = new AuditSignatureDetail { Void = voids }.ToJson();
        var signature = Sign(p.Stream.WriterId, p.Number + 1, kind, seq, digest, p.Stream.WriterId, detail);
        p.Number++;
        p.SignedSeq = seq;
        p.UnsignedSince ??= _time.GetTimestamp();
        _unstored.Add((signature, false));
    }

    private AuditSignature Sign(string writer, long number, AuditSignatureKind kind, long writerSeq, string digest, string signer, string detail)
    {
        var unsigned = new AuditSignature(
            writer, number, AuditSignature.Name(kind), AuditSignature.Microseconds(_time.GetUtcNow()), writerSeq, digest, _key.KeyId, signer, detail, "");
        var (keyId, signature) = _key.Sign(unsigned.Payload());
        return unsigned with { KeyId = keyId, Signature = signature };
    }

    /// <summary>Stores what is pending, oldest first, file then database; false (and kept) at the first failure.</summary>
    private async Task<bool> StorePendingAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (_unstored.Count > 0)
            {
                var (signature, inFile) = _unstored[0];
                if (!inFile)
                {
                    AppendToFile(signature);
                    _unstored[0] = (signature, true);
                }

                await InsertAsync(signature, onlyIfOpen: false, cancellationToken);
                _unstored.RemoveAt(0);
                Stored(signature);
            }

            _lastError = null;
            if (_outage.Recovered() is { } recovered)
            {
                LogSigningBack(_logger, recovered.Failures, recovered.Duration);
            }

            return true;
        }
        catch (Exception e) when (e is NpgsqlException or IOException or UnauthorizedAccessException or TimeoutException or InvalidOperationException)
        {
            if (e is NpgsqlException and (not PostgresException or PostgresException { SqlState: PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown }))
            {
                // A dead pooled connection (the store restarted): the pool's other idle ones are likely dead too.
                _dataSource.Clear();
            }

            _lastError = e.Message;
            var outage = _outage.Failed();
            if (outage.Kind == OutageLogKind.First)
            {
                LogSigningFailed(_logger, _unstored.Count, e.Message);
            }
            else if (outage.Kind == OutageLogKind.Summary)
            {
                LogSigningStillFailing(_logger, outage.Failures, outage.Duration, e.Message);
            }

            return false;
        }
    }

    private void Stored(AuditSignature signature)
    {
        Exported(signature);
        Progress? progress;
        lock (_progress)
        {
            if (_progress.TryGetValue(signature.Writer, out progress) && !_unstored.Any(u => u.Signature.Writer == signature.Writer))
            {
                progress.UnsignedSince = null;
            }
        }

        progress?.Stream.VoidSigned(signature.WriterSeq);

        LogStored(_logger, signature.Writer, signature.Number, signature.Kind, signature.WriterSeq);
    }

    /// <summary>Inserts one signature; an identical row already there (an earlier attempt whose answer was lost) counts as stored.</summary>
    private async Task<bool> InsertAsync(AuditSignature s, bool onlyIfOpen, CancellationToken cancellationToken)
    {
        var sql = """
            INSERT INTO orleansgate_audit_signature (writer, number, kind, at, writer_seq, digest, key_id, signer, detail, signature)
            SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10
            """ + (onlyIfOpen ? " WHERE NOT EXISTS (SELECT 1 FROM orleansgate_audit_signature WHERE writer = $1 AND kind IN ('end', 'seal'))" : "");
        try
        {
            await using var command = _dataSource.CreateCommand(sql);
            var p = command.Parameters;
            p.Add(new NpgsqlParameter<string> { TypedValue = s.Writer });
            p.Add(new NpgsqlParameter<long> { TypedValue = s.Number });
            p.Add(new NpgsqlParameter<string> { TypedValue = s.Kind });
            p.Add(new NpgsqlParameter<DateTime> { TypedValue = s.At.UtcDateTime });
            p.Add(new NpgsqlParameter<long> { TypedValue = s.WriterSeq });
            p.Add(new NpgsqlParameter<string> { TypedValue = s.Digest });
            p.Add(new NpgsqlParameter<string> { TypedValue = s.KeyId });
            p.Add(new NpgsqlParameter<string> { TypedValue = s.Signer });
            p.Add(new NpgsqlParameter<string> { TypedValue = s.Detail });
            p.Add(new NpgsqlParameter<string> { TypedValue = s.Signature });
            return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            if (onlyIfOpen)
            {
                return false;
            }

            var stored = await AuditSignatureReader.ReadAsync(_dataSource, s.Writer, s.Number, cancellationToken);
            if (stored == s)
            {
                return true;
            }

            // Someone else's row holds this writer's number: not an outage, tampering. Never overwritten; loud.
            LogNumberTaken(_logger, s.Writer, s.Number);
            throw new InvalidOperationException($"signature #{s.Number} of writer {s.Writer} is already taken by a row this writer did not store");
        }
    }

    private void AppendToFile(AuditSignature signature)
    {
        if (_anchorFile is null)
        {
            return;
        }

        var line = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(signature, AuditJson.Default.AuditSignature) + "\n");
        AppendOnlyFile.AppendAndSync(_anchorFile, line);
    }

    private void Exported(AuditSignature s)
    {
        if (_options.ExportSignatures)
        {
            LogExported(_export, s.Writer, s.Number, s.Kind, s.WriterSeq, s.Digest, s.KeyId, s.Signer, s.Detail, s.Signature, s.At);
        }
    }

    private sealed class Progress(WriterStream stream)
    {
        public WriterStream Stream { get; } = stream;

        public long Number { get; set; }

        public long SignedSeq { get; set; }

        public bool Ended { get; set; }

        /// <summary>When a signature was made that is not stored yet (null: everything signed is stored).</summary>
        public long? UnsignedSince { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Audit signature stored: writer {Writer} #{Number} ({Kind}) covers its rows 1..{WriterSeq}")]
    private static partial void LogStored(ILogger logger, string writer, long number, string kind, long writerSeq);

    [LoggerMessage(Level = LogLevel.Information, Message = "Audit signature {Writer} #{Number} {Kind} seq {WriterSeq} digest {Digest} key {KeyId} signer {Signer} detail {Detail} signature {Signature} at {At}")]
    private static partial void LogExported(ILogger logger, string writer, long number, string kind, long writerSeq, string digest, string keyId, string signer, string detail, string signature, DateTimeOffset at);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit writer {Writer} sealed at its row {EndSeq} ({Unsigned} rows after its last signature; {Problems} problems noted)")]
    private static partial void LogSealed(ILogger logger, string writer, long endSeq, long unsigned, int problems);

    [LoggerMessage(Level = LogLevel.Error, Message = "Audit signatures cannot be stored ({Pending} waiting): {Error}; records are refused once rows stay unsigned too long (further failures are summarised once a minute)")]
    private static partial void LogSigningFailed(ILogger logger, int pending, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Audit signatures still cannot be stored: {Failures} attempts in {Duration}; last error: {Error}")]
    private static partial void LogSigningStillFailing(ILogger logger, long failures, TimeSpan duration, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit signatures are stored again after {Failures} failed attempts in {Duration}")]
    private static partial void LogSigningBack(ILogger logger, long failures, TimeSpan duration);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Audit signature #{Number} of writer {Writer} is already taken in the database by a row this writer did not store: the audit store was tampered with")]
    private static partial void LogNumberTaken(ILogger logger, string writer, long number);
}
