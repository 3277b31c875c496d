using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace OrleansGate.Grains.Audit;

/// <summary>
/// Signs a checkpoint over this writer's rows at a fixed interval, stores it in the database and appends it
/// to a file outside the database (fsynced), so rows deleted up to the last checkpoint are detected even by
/// someone who controls the database.
/// </summary>
/// <remarks>
/// Writers insert concurrently and the database assigns sequence numbers, so "every row up to seq S" is only
/// known once no batch of this writer is in flight: the checkpointer takes every writer's slot for one short
/// query (the horizon), then folds the rows up to it without holding anything. Later batches get larger
/// sequence numbers than any assigned before, so nothing can land below the horizon afterwards.
/// </remarks>
public sealed partial class AuditCheckpointer
{
    private readonly AuditOptions _options;
    private readonly string _writer;
    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _time;
    private readonly ILogger<AuditCheckpointer> _logger;
    private readonly byte[] _key;
    private readonly OutageLog _outage;
    private readonly SemaphoreSlim _checkpointing = new(1, 1);
    private long _number;
    private long _lastSeq;
    private string _prevHash = AuditRow.GenesisHash;

    private AuditCheckpointer(AuditOptions options, string writer, NpgsqlDataSource dataSource, TimeProvider time, ILogger<AuditCheckpointer> logger, byte[] key)
    {
        _options = options;
        _writer = writer;
        _dataSource = dataSource;
        _time = time;
        _logger = logger;
        _key = key;
        _outage = new OutageLog(time, TimeSpan.FromMinutes(1));
    }

    /// <summary>While checkpoints fail, the wait doubles from the interval up to this (or the interval, if longer).</summary>
    internal static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(1);

    /// <summary>Null when no key is configured; a configured key that cannot be loaded stops the node at start.</summary>
    public static AuditCheckpointer? Create(AuditOptions options, string writer, NpgsqlDataSource dataSource, TimeProvider time, ILogger<AuditCheckpointer> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.CheckpointKeyPath))
        {
            return null;
        }

        if (options.CheckpointInterval <= TimeSpan.Zero)
        {
            throw new InvalidOperationException("OrleansGate:Audit:CheckpointInterval must be positive");
        }

        return new AuditCheckpointer(options, writer, dataSource, time, logger, AuditCheckpoint.LoadKey(options.CheckpointKeyPath));
    }

    public async Task RunAsync(SemaphoreSlim[] writerSlots, CancellationToken stoppingToken)
    {
        ArgumentNullException.ThrowIfNull(writerSlots);
        var delay = _options.CheckpointInterval;
        var maxDelay = _options.CheckpointInterval > MaxBackoff ? _options.CheckpointInterval : MaxBackoff;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(delay, _time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            // Backoff while the store is down, so an outage costs a few attempts, not one per interval.
            var failed = !await TryCheckpointAsync(writerSlots, stoppingToken) && _outage.IsDown;
            delay = !failed ? _options.CheckpointInterval : delay * 2 > maxDelay ? maxDelay : delay * 2;
        }

        // A last checkpoint at a clean shutdown (writers have stopped), so a stopped node's tail is covered too.
        using var last = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await TryCheckpointAsync(writerSlots, last.Token);
    }

    /// <summary>One checkpoint now (also for tests); false when it failed (logged) or there was nothing new.</summary>
    public async Task<bool> TryCheckpointAsync(SemaphoreSlim[] writerSlots, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writerSlots);

        // One at a time: two checkpoints computed at once would both start after the same last one, and the second
        // would sign a range the first already covered under the next number (seen with a test's CheckpointNow
        // racing the periodic loop).
        try
        {
            await _checkpointing.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        try
        {
            return await CheckpointAsync(writerSlots, cancellationToken);
        }
        finally
        {
            _checkpointing.Release();
        }
    }

    private async Task<bool> CheckpointAsync(SemaphoreSlim[] writerSlots, CancellationToken cancellationToken)
    {
        try
        {
            var horizon = await ReadHorizonAsync(writerSlots, cancellationToken);
            if (horizon <= _lastSeq)
            {
                Recovered();
                return false;
            }

            var rows = new List<(long Seq, string Hash)>();
            await using (var command = _dataSource.CreateCommand("SELECT seq, hash FROM orleansgate_audit WHERE seq > $2 AND seq <= $3 AND writer = $1 ORDER BY seq"))
            {
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _writer });
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = _lastSeq });
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = horizon });
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    rows.Add((reader.GetInt64(0), reader.GetString(1)));
                }
            }

            var now = _time.GetUtcNow();
            var unsigned = new AuditCheckpoint(
                _writer, _number + 1, new DateTimeOffset(now.UtcTicks - (now.UtcTicks % 10), TimeSpan.Zero), _lastSeq + 1, horizon, rows.Count,
                _prevHash, AuditCheckpoint.Fold(_prevHash, rows), "");
            var checkpoint = unsigned with { Mac = AuditCheckpoint.Sign(_key, unsigned) };
            await StoreAsync(checkpoint, cancellationToken);
            AppendToFile(checkpoint);
            _number = checkpoint.Number;
            _lastSeq = checkpoint.LastSeq;
            _prevHash = checkpoint.Hash;
            LogCheckpoint(_logger, checkpoint.Number, checkpoint.LastSeq, checkpoint.RowCount);
            Recovered();
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or IOException or UnauthorizedAccessException or InvalidOperationException or TimeoutException or OperationCanceledException)
        {
            // The next attempt covers the same range: a failed checkpoint leaves no hole.
            var outage = _outage.Failed();
            if (outage.Kind == OutageLogKind.First)
            {
                LogCheckpointFailed(_logger, e.Message);
            }
            else if (outage.Kind == OutageLogKind.Summary)
            {
                LogCheckpointsStillFailing(_logger, outage.Failures, outage.Duration, e.Message);
            }

            return false;
        }
    }

    private void Recovered()
    {
        if (_outage.Recovered() is { } outage)
        {
            LogCheckpointsBack(_logger, outage.Failures, outage.Duration);
        }
    }

    private async Task<long> ReadHorizonAsync(SemaphoreSlim[] writerSlots, CancellationToken cancellationToken)
    {
        var taken = 0;
        try
        {
            foreach (var slot in writerSlots)
            {
                await slot.WaitAsync(cancellationToken);
                taken++;
            }

            await using var command = _dataSource.CreateCommand("SELECT coalesce(max(seq), $2) FROM orleansgate_audit WHERE seq > $2 AND writer = $1");
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _writer });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = _lastSeq });
            return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        }
        finally
        {
            for (var i = 0; i < taken; i++)
            {
                writerSlots[i].Release();
            }
        }
    }

    private async Task StoreAsync(AuditCheckpoint c, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(
            "INSERT INTO orleansgate_audit_checkpoint (writer, number, at, first_seq, last_seq, row_count, prev_hash, hash, mac) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = c.Writer });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = c.Number });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = c.At.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = c.FirstSeq });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = c.LastSeq });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = c.RowCount });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = c.PrevHash });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = c.Hash });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = c.Mac });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// One JSON line, appended in one O_APPEND write and fsynced (<see cref="AppendOnlyFile"/>), so the file may be
    /// made append-only at the OS level (<c>chattr +a</c>) in production: docs/audit.md.
    /// </summary>
    private void AppendToFile(AuditCheckpoint checkpoint)
    {
        if (string.IsNullOrWhiteSpace(_options.CheckpointFile))
        {
            return;
        }

        var line = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(checkpoint, AuditJson.Default.AuditCheckpoint) + "\n");
        AppendOnlyFile.AppendAndSync(_options.CheckpointFile, line);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Audit checkpoint {Number} signed: up to seq {LastSeq}, {Rows} rows")]
    private static partial void LogCheckpoint(ILogger logger, long number, long lastSeq, long rows);

    [LoggerMessage(Level = LogLevel.Error, Message = "Audit checkpoint failed: {Error}; retried with backoff (further failures are summarised once a minute)")]
    private static partial void LogCheckpointFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Audit checkpoints still failing: {Failures} attempts in {Duration}; last error: {Error}")]
    private static partial void LogCheckpointsStillFailing(ILogger logger, long failures, TimeSpan duration, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit checkpoints succeed again after {Failures} failed attempts in {Duration}")]
    private static partial void LogCheckpointsBack(ILogger logger, long failures, TimeSpan duration);
}
