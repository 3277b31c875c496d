using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace OrleansGate.Grains.Audit;

/// <summary>
/// Group-committed audit writer, one per silo: appends from every session on this silo are queued, and
/// <see cref="AuditOptions.Writers"/> loops each take whatever has accumulated and insert it in one statement.
/// </summary>
/// <remarks>
/// <code>
///  session grains ──AppendAsync──► queue ──► writer 1: INSERT … SELECT FROM unnest(…)  (one round trip, autocommit)
///   (each awaits its                     └─► writer 2: next batch collects while 1 commits
///    own record)                                        ▲ checkpointer pauses both briefly to fix a horizon
/// </code>
/// 1. A batch is one autocommitted statement: atomic, so it is durable whole or not at all; the global
///    sequence comes from the column default, so nothing is reserved first.
/// 2. Success completes every waiter of the batch; any failure fails every waiter with
///    <see cref="AuditUnavailableException"/>: nothing is reported as written that was not.
/// 3. Per-session order needs no coordination: a grain awaits each append before its next one.
/// </remarks>
public sealed partial class PostgresAuditSink : BackgroundService, IAuditSink
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly AuditOptions _options;
    private readonly ILogger<PostgresAuditSink> _logger;
    private readonly Channel<PendingRow> _queue;
    private readonly SemaphoreSlim[] _slots;
    private readonly AuditCheckpointer? _checkpointer;
    private readonly SchemaGate _schema;

    // One Error line per outage plus a summary a minute: every batch fails while the store is down, and its
    // refusals already reach the clients; the log needs the outage, not each batch (a flood filled 250 MB once).
    private readonly OutageLog _outage;

    public PostgresAuditSink(StateDatabase database, IOptions<AuditOptions> options, TimeProvider time, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        _options = options.Value;
        _logger = loggers.CreateLogger<PostgresAuditSink>();
        if (_options.MaxBatchSize < 1 || _options.Writers < 1 || _options.QueueCapacity < 1)
        {
            throw new InvalidOperationException("OrleansGate:Audit: MaxBatchSize, Writers and QueueCapacity must be at least 1");
        }

        var separateStore = !string.IsNullOrWhiteSpace(_options.ConnectionString);

        // Its own pool, with the batch insert prepared once per connection instead of parsed and planned per batch.
        _dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(separateStore ? _options.ConnectionString : database.ConnectionString)
        {
            MaxAutoPrepare = 16,
            AutoPrepareMinUsages = 2,
        }.ConnectionString);
        _schema = new SchemaGate(separateStore ? _options.ConnectionString : null, loggers);
        _outage = new OutageLog(time, TimeSpan.FromMinutes(1));
        WriterId = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";
        _queue = Channel.CreateBounded<PendingRow>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            SingleReader = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _slots = [.. Enumerable.Range(0, _options.Writers).Select(_ => new SemaphoreSlim(1, 1))];
        _checkpointer = AuditCheckpointer.Create(_options, WriterId, _dataSource, time, loggers.CreateLogger<AuditCheckpointer>());
    }

    /// <summary>This process's writer id, stored in every row it writes; checkpoints are kept per writer.</summary>
    public string WriterId { get; }

    public ValueTask AppendAsync(AuditRow row, CancellationToken cancellationToken = default) => AppendAsync([row], cancellationToken);

    public async ValueTask AppendAsync(IReadOnlyList<AuditRow> rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        // The writer column is filled from WriterId by the insert itself: the rows are not copied to carry it.
        var pending = new PendingRow(rows as AuditRow[] ?? [.. rows]);
        if (!_queue.Writer.TryWrite(pending))
        {
            try
            {
                await _queue.Writer.WriteAsync(pending, cancellationToken);
            }
            catch (ChannelClosedException e)
            {
                throw new AuditUnavailableException("the audit writer is shutting down", e);
            }
        }

        await pending.Completion.Task.WaitAsync(cancellationToken);
    }

    public async ValueTask<AuditChainHead?> ReadHeadAsync(string chainId, CancellationToken cancellationToken = default)
    {
        try
        {
            await _schema.EnsureAsync(cancellationToken);
            await using var command = _dataSource.CreateCommand(
                "SELECT session_seq, hash FROM orleansgate_audit WHERE session_id = $1 ORDER BY session_seq DESC LIMIT 1");
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = chainId });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken) ? new AuditChainHead(reader.GetInt64(0), reader.GetString(1)) : null;
        }
        catch (Exception e) when (IsStoreFailure(e))
        {
            throw new AuditUnavailableException($"audit store unavailable: {e.Message}", e);
        }
    }

    /// <summary>Signs a checkpoint now (tests; the writer also does it every CheckpointInterval).</summary>
    internal Task<bool> CheckpointNowAsync(CancellationToken cancellationToken) =>
        _checkpointer?.TryCheckpointAsync(_slots, cancellationToken) ?? Task.FromResult(false);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_checkpointer is null)
        {
            LogNoCheckpoints(_logger);
        }

        var loops = new List<Task>();
        for (var i = 0; i < _slots.Length; i++)
        {
            loops.Add(WriterLoopAsync(_slots[i], stoppingToken));
        }

        if (_checkpointer is not null)
        {
            loops.Add(_checkpointer.RunAsync(_slots, stoppingToken));
        }

        try
        {
            await Task.WhenAll(loops);
        }
        finally
        {
            _queue.Writer.TryComplete();
            var shutdown = new AuditUnavailableException("the audit writer is shutting down");
            while (_queue.Reader.TryRead(out var item))
            {
                item.Completion.TrySetException(shutdown);
            }
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        foreach (var slot in _slots)
        {
            slot.Dispose();
        }

        _dataSource.Dispose();
    }

    private async Task WriterLoopAsync(SemaphoreSlim slot, CancellationToken stoppingToken)
    {
        var batch = new List<PendingRow>(Math.Min(_options.MaxBatchSize, 1024));
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                await CollectAsync(batch, stoppingToken);
                if (batch.Count == 0)
                {
                    continue;
                }

                await slot.WaitAsync(stoppingToken);
                try
                {
                    await WriteBatchAsync(batch, stoppingToken);
                }
                finally
                {
                    slot.Release();
                }

                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            var shutdown = new AuditUnavailableException("the audit writer is shutting down");
            foreach (var item in batch)
            {
                item.Completion.TrySetException(shutdown);
            }
        }
    }

    private async Task CollectAsync(List<PendingRow> batch, CancellationToken stoppingToken)
    {
        while (batch.Count < _options.MaxBatchSize && _queue.Reader.TryRead(out var item))
        {
            batch.Add(item);
        }

        if (batch.Count == 0 || batch.Count >= _options.MaxBatchSize || _options.MaxBatchDelay <= TimeSpan.Zero)
        {
            return;
        }

        using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        wait.CancelAfter(_options.MaxBatchDelay);
        try
        {
            while (batch.Count < _options.MaxBatchSize && await _queue.Reader.WaitToReadAsync(wait.Token))
            {
                while (batch.Count < _options.MaxBatchSize && _queue.Reader.TryRead(out var item))
                {
                    batch.Add(item);
                }
            }
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // The batch's wait is over: write what there is.
        }
    }

    private async Task WriteBatchAsync(List<PendingRow> batch, CancellationToken cancellationToken)
    {
        try
        {
            await _schema.EnsureAsync(cancellationToken);
            if (batch.Count > 1 && await TryWriteAsync(batch, cancellationToken) is { } conflict)
            {
                // One append whose chain head was stale (another writer of that chain got there first: a duplicate
                // activation, or a second cluster sharing the store) broke the batch's unique key. Each append is
                // written alone so that only it fails, not every other session's statement in the batch.
                LogBatchSplit(_logger, batch.Count, conflict.MessageText);
                foreach (var item in batch)
                {
                    await WriteBatchAsync([item], cancellationToken);
                }

                return;
            }

            if (batch.Count > 1)
            {
                foreach (var item in batch)
                {
                    item.Completion.TrySetResult();
                }

                if (_outage.Recovered() is { } recovered)
                {
                    LogStoreBack(_logger, recovered.Failures, recovered.Duration);
                }

                return;
            }

            await using var command = CreateInsert(batch);
            var written = await command.ExecuteNonQueryAsync(cancellationToken);
            var expected = batch.Sum(item => item.Rows.Length);
            if (written != expected)
            {
                throw new InvalidOperationException($"the audit insert wrote {written} of {expected} rows");
            }

            foreach (var item in batch)
            {
                item.Completion.TrySetResult();
            }

            if (_outage.Recovered() is { } outage)
            {
                LogStoreBack(_logger, outage.Failures, outage.Duration);
            }
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // Not an outage: this append's chain head was stale. It fails alone; its chain reads the head back
            // before its next append.
            var conflict = new AuditUnavailableException($"audit chain conflict: {e.MessageText}", e);
            foreach (var item in batch)
            {
                item.Completion.TrySetException(conflict);
            }
        }
        catch (Exception e) when (IsStoreFailure(e))
        {
            // Nothing of this batch is reported as written: the statement either committed whole or not at all
            // (or its outcome is unknown, which the chains resolve by reading their heads back).
            var outage = _outage.Failed();
            if (outage.Kind == OutageLogKind.First)
            {
                LogBatchFailed(_logger, batch.Count, e.Message);
            }
            else if (outage.Kind == OutageLogKind.Summary)
            {
                LogStillDown(_logger, outage.Failures, outage.Duration, e.Message);
            }

            var failure = new AuditUnavailableException($"audit store unavailable: {e.Message}", e);
            foreach (var item in batch)
            {
                item.Completion.TrySetException(failure);
            }
        }
    }

    /// <summary>Writes the batch; returns the unique violation instead of throwing it (null when written).</summary>
    private async Task<PostgresException?> TryWriteAsync(List<PendingRow> batch, CancellationToken cancellationToken)
    {
        try
        {
            await using var command = CreateInsert(batch);
            var written = await command.ExecuteNonQueryAsync(cancellationToken);
            var expected = batch.Sum(item => item.Rows.Length);
            return written == expected ? null : throw new InvalidOperationException($"the audit insert wrote {written} of {expected} rows");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return e;
        }
    }

    private static bool IsStoreFailure(Exception e) =>
        e is NpgsqlException or InvalidOperationException or TimeoutException or IOException or SocketException;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit batch of {Count} appends hit a stale chain head ({Error}); writing its appends one by one")]
    private static partial void LogBatchSplit(ILogger logger, int count, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Audit batch of {Count} records could not be written: {Error}; statements are refused until the audit store answers (further failures are summarised once a minute)")]
    private static partial void LogBatchFailed(ILogger logger, int count, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Audit store still unavailable: {Failures} batches failed in {Duration}; last error: {Error}")]
    private static partial void LogStillDown(ILogger logger, long failures, TimeSpan duration, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit store answers again after {Failures} failed batches in {Duration}")]
    private static partial void LogStoreBack(ILogger logger, long failures, TimeSpan duration);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit checkpoints are off: OrleansGate:Audit:CheckpointKeyPath is not set, so a deleted tail of the audit log cannot be detected")]
    private static partial void LogNoCheckpoints(ILogger logger);

    /// <summary>One append: its rows go into one batch together (never split), so they are durable together or not at all.</summary>
    private sealed class PendingRow(AuditRow[] rows)
    {
        public AuditRow[] Rows { get; } = rows;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
