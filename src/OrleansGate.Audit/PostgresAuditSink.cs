using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using OrleansGate.Audit.Signing;

namespace OrleansGate.Audit;

/// <summary>
/// Group-committed, signed audit writer, one per silo: appends from every session on this silo are queued, and
/// <see cref="AuditOptions.Writers"/> writers each take whatever has accumulated and insert it in one statement.
/// </summary>
/// <remarks>
/// <code>
///  session grains ──AppendAsync──► queue ──► writer W/0: INSERT … SELECT FROM unnest(…)  (one round trip, autocommit)
///   (each awaits its                     └─► writer W/1: next batch collects while W/0 commits
///    own record)           each writer: its own gap-free writer_seq and running digest (WriterStream)
///                          signer: every SignInterval, signs each writer's digest → checkpoint file → database
/// </code>
/// 1. A batch is one autocommitted statement: atomic, so it is durable whole or not at all; the global
///    sequence comes from the column default, so nothing is reserved first.
/// 2. Success completes every waiter of the batch and folds its rows into the writer's digest. A failure before or
///    inside PostgreSQL fails every waiter (nothing was written). A lost answer is settled before the writer writes
///    again (did the batch commit?), so no record is ever reported written that was not, nor written twice.
/// 3. Per-session order needs no coordination: a grain awaits each append before its next one.
/// </remarks>
public sealed partial class PostgresAuditSink : BackgroundService, IAuditSink
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly AuditOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<PostgresAuditSink> _logger;
    private readonly Channel<PendingRow> _queue;
    private readonly WriterStream[] _streams;
    private readonly AuditSigner _signer;
    private readonly IAuditSchema? _schema;

    // One Error line per outage plus a summary a minute: every batch fails while the store is down, and its
    // refusals already reach the clients; the log needs the outage, not each batch (a flood filled 250 MB once).
    private readonly OutageLog _outage;

    /// <param name="stateConnectionString">The state database's connection string, used unless <see cref="AuditOptions.ConnectionString"/> names a separate audit store.</param>
    public PostgresAuditSink(
        string stateConnectionString, IOptions<AuditOptions> options, TimeProvider time, ILoggerFactory loggers, AuditWriterIdentity? identity = null, IAuditSchema? schema = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stateConnectionString);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        _options = options.Value;
        _time = time;
        _logger = loggers.CreateLogger<PostgresAuditSink>();
        if (_options.Problem() is { } problem)
        {
            throw new InvalidOperationException(problem);
        }

        var separateStore = !string.IsNullOrWhiteSpace(_options.ConnectionString);

        // Its own pool, with the batch insert prepared once per connection instead of parsed and planned per batch.
        var connection = new NpgsqlConnectionStringBuilder(separateStore ? _options.ConnectionString : stateConnectionString)
        {
            MaxAutoPrepare = 16,
            AutoPrepareMinUsages = 2,
        };

        // Names the writers' backends in pg_stat_activity (operators, and the benchmark's audit-store CPU per row),
        // unless the connection string names them itself.
        if (string.IsNullOrEmpty(connection.ApplicationName))
        {
            connection.ApplicationName = ApplicationName;
        }

        _dataSource = NpgsqlDataSource.Create(connection.ConnectionString);
        _schema = schema;
        _outage = new OutageLog(time, TimeSpan.FromMinutes(1));
        identity ??= AuditWriterIdentity.Standalone(Environment.MachineName);
        WriterId = $"{identity.Node}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";
        _queue = Channel.CreateBounded<PendingRow>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            SingleReader = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _streams = [.. Enumerable.Range(0, _options.Writers).Select(i => new WriterStream($"{WriterId}/{i}"))];
        _signer = new AuditSigner(_options, AuditSigningKey.Load(_options.SigningKeyPath!, _logger), _dataSource, identity, time, loggers);
    }

    /// <summary>The writers' <c>application_name</c> where the connection string sets none.</summary>
    public const string ApplicationName = "orleansgate-audit";

    /// <summary>This process's name in the writer column; each of its writers is <c>WriterId/0</c>, <c>WriterId/1</c> ….</summary>
    public string WriterId { get; }

    public IReadOnlyList<string> WriterIds => [.. _streams.Select(s => s.WriterId)];

    /// <summary>The key id this process signs with.</summary>
    public string SigningKeyId => _signer.KeyId;

    public ValueTask AppendAsync(AuditRow row, CancellationToken cancellationToken = default) => AppendAsync([row], cancellationToken);

    public async ValueTask AppendAsync(IReadOnlyList<AuditRow> rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        // The writer columns are filled by the insert itself: the rows are not copied to carry them.
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
            await EnsureSchemaAsync(cancellationToken);
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

    public async ValueTask ProbeAsync(CancellationToken cancellationToken = default)
    {
        if (_signer.RefusalReason is not null && !await _signer.SignDueAsync(cancellationToken))
        {
            throw new AuditUnavailableException($"audit store unavailable: {_signer.RefusalReason}");
        }

        try
        {
            await EnsureSchemaAsync(cancellationToken);
            await using var command = _dataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(cancellationToken);
        }
        catch (Exception e) when (IsStoreFailure(e))
        {
            throw new AuditUnavailableException($"audit store unavailable: {e.Message}", e);
        }
    }

    /// <summary>Signs what is unsigned now (tests; the signer also does it every SignInterval).</summary>
    public Task<bool> SignNowAsync(CancellationToken cancellationToken) => _signer.SignDueAsync(cancellationToken);

    /// <summary>Seals <paramref name="writer"/>, which is gone, with this process's key; null when it had ended or was sealed already.</summary>
    public async Task<AuditSignature?> SealAsync(string writer, string reason, CancellationToken cancellationToken)
    {
        try
        {
            return await _signer.SealAsync(writer, reason, _streams[0].WriterId, cancellationToken);
        }
        catch (NpgsqlException e)
        {
            DropIdleIfDead(e);
            if (e is not PostgresException postgres || !IsConnectionEnded(postgres))
            {
                throw; // a broken connection may have committed the seal: left to the sealer's next round
            }

            // Ended by the store (57P01/57P02): the seal rolled back, and is made once more on a new connection.
            return await _signer.SealAsync(writer, reason, _streams[0].WriterId, cancellationToken);
        }
    }

    /// <summary>Writers that signed a start and neither an end nor a seal, other than this process's own, with their start.</summary>
    public async Task<List<(string Writer, AuditSignatureDetail Detail, DateTimeOffset StartedAt)>> OpenWritersAsync(CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        await using var command = _dataSource.CreateCommand(
            """
            SELECT s.writer, s.detail, s.at FROM orleansgate_audit_signature s
            WHERE s.kind = 'start'
              AND NOT EXISTS (SELECT 1 FROM orleansgate_audit_signature e WHERE e.writer = s.writer AND e.kind IN ('end', 'seal'))
            """);
        var open = new List<(string, AuditSignatureDetail, DateTimeOffset)>();
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                if (AuditSignatureDetail.TryParse(reader.GetString(1)) is { } detail)
                {
                    open.Add((reader.GetString(0), detail, new DateTimeOffset(reader.GetDateTime(2), TimeSpan.Zero)));
                }
            }
        }
        catch (NpgsqlException e)
        {
            DropIdleIfDead(e);
            throw;
        }

        return open;
    }

    /// <summary>
    /// After a connection of the pool turned out dead (broken, or ended by the store: it restarted while the connection
    /// sat idle), the pool's other idle connections are likely dead too: they are dropped, so the next open dials anew.
    /// </summary>
    private void DropIdleIfDead(NpgsqlException e)
    {
        if (e is not PostgresException postgres || IsConnectionEnded(postgres))
        {
            _dataSource.Clear();
        }
    }

    private ValueTask EnsureSchemaAsync(CancellationToken cancellationToken) => _schema?.EnsureAsync(cancellationToken) ?? ValueTask.CompletedTask;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var loops = _streams.Select(stream => WriterLoopAsync(stream, stoppingToken)).ToList();
        loops.Add(SignLoopAsync(stoppingToken));
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

            // A clean stop: the writers have stopped, so each signs what it wrote last and its end.
            using var last = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _signer.SignDueAsync(last.Token);
                await _signer.EndAsync(last.Token);
            }
            catch (OperationCanceledException)
            {
                LogEndNotSigned(_logger);
            }
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        _signer.Dispose();
        _dataSource.Dispose();
    }

    private async Task SignLoopAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.SignInterval, _time, stoppingToken);
                await _signer.SignDueAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task WriterLoopAsync(WriterStream stream, CancellationToken stoppingToken)
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

                await WriteBatchAsync(stream, batch, stoppingToken);
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

    private async Task WriteBatchAsync(WriterStream stream, List<PendingRow> batch, CancellationToken cancellationToken, bool fresh = false)
    {
        try
        {
            switch (await TryWriteAsync(stream, batch, cancellationToken))
            {
                case BatchOutcome.Written:
                    Complete(batch, null);
                    if (_outage.Recovered() is { } recovered)
                    {
                        LogStoreBack(_logger, recovered.Failures, recovered.Duration);
                    }

                    return;

                case BatchOutcome.ChainConflict when batch.Count > 1:
                    // One append whose chain head was stale (another writer of that chain got there first: a duplicate
                    // activation, or a second cluster sharing the store) broke the batch's unique key. Each append is
                    // written alone so that only it fails, not every other session's statement in the batch.
                    LogBatchSplit(_logger, batch.Count);
                    foreach (var item in batch)
                    {
                        await WriteBatchAsync(stream, [item], cancellationToken);
                    }

                    return;

                default:
                    // Not an outage: this append's chain head was stale. It fails alone; its chain reads the head back
                    // before its next append.
                    Complete(batch, new AuditUnavailableException("audit chain conflict: another record holds this record's place in its chain") { StaleHead = true });
                    return;
            }
        }
        catch (ConnectionLostException e) when (!fresh)
        {
            // The connection this batch was sent on was dead (the store restarted while it sat idle in the pool, or an
            // operator ended its backend), and the batch did not land. Every idle connection of the pool is likely as
            // dead: they are dropped, and the batch is sent once more on a new connection, so a store that is back by
            // now costs no statement.
            _dataSource.Clear();
            LogConnectionLost(_logger, batch.Count, e.Message);
            await WriteBatchAsync(stream, batch, cancellationToken, fresh: true);
        }
        catch (Exception e) when (IsStoreFailure(e) || e is AuditUnavailableException or ConnectionLostException)
        {
            var outage = _outage.Failed();
            if (outage.Kind == OutageLogKind.First)
            {
                LogBatchFailed(_logger, batch.Count, e.Message);
            }
            else if (outage.Kind == OutageLogKind.Summary)
            {
                LogStillDown(_logger, outage.Failures, outage.Duration, e.Message);
            }

            Complete(batch, e as AuditUnavailableException ?? new AuditUnavailableException($"audit store unavailable: {e.Message}", e));
        }
    }

    /// <summary>
    /// Writes the batch under <paramref name="stream"/>'s next numbers. Throws when it was not written (the numbers go
    /// back, or, if the answer was lost and the batch did not land, are void); returns when it was, or when the
    /// database refused it as a chain conflict.
    /// </summary>
    private async Task<BatchOutcome> TryWriteAsync(WriterStream stream, List<PendingRow> batch, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        if (_signer.RefusalReason is not null)
        {
            // The store may just be back: what waits to be signed is stored first, rather than at the next interval.
            await _signer.SignDueAsync(cancellationToken);
            if (_signer.RefusalReason is { } refused)
            {
                throw new AuditUnavailableException($"audit store unavailable: {refused}");
            }
        }

        if (stream.Sealed)
        {
            throw Sealed(stream);
        }

        await _signer.EnsureStartedAsync(stream, cancellationToken);
        if (stream.Unresolved is not null && await ResolveAsync(stream, null, cancellationToken) is null)
        {
            throw new AuditUnavailableException("audit store unavailable: the outcome of this writer's previous batch is not known yet");
        }

        var rows = batch.Count == 1 ? batch[0].Rows : [.. batch.SelectMany(item => item.Rows)];
        var sent = stream.Reserve([.. rows.Select(r => r.Hash)], rows[0].SessionId, rows[0].SessionSeq);
        NpgsqlConnection connection;
        try
        {
            connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        }
        catch
        {
            stream.Refused(sent); // nothing was sent
            throw;
        }

        await using (connection)
        {
            var backend = connection.ProcessID;
            try
            {
                await using var command = CreateFencedInsert(connection, stream, sent.First, rows);
                await command.ExecuteNonQueryAsync(cancellationToken);
                var written = command.BatchCommands[1].RecordsAffected;
                if (written == 0)
                {
                    // The fence held: another node sealed this writer (its node was declared dead). Nothing landed, nothing
                    // of this writer ever will: its records are refused, and the node, dead to the cluster, is restarted.
                    stream.Refused(sent);
                    stream.Sealed = true;
                    LogWriterSealed(_logger, stream.WriterId);
                    throw Sealed(stream);
                }

                if (written != rows.Length)
                {
                    // Cannot happen for one INSERT … SELECT; if it did, what landed is settled like a lost answer.
                    stream.Uncertain(sent);
                    await ResolveAsync(stream, null, CancellationToken.None);
                    throw new AuditUnavailableException($"audit store unavailable: the audit insert wrote {written} of {rows.Length} rows") { OutcomeUnknown = true };
                }
            }
            catch (PostgresException e)
            {
                // PostgreSQL answered with an error: the statement rolled back, nothing of it landed.
                stream.Refused(sent);
                if (e.SqlState == PostgresErrorCodes.UniqueViolation)
                {
                    return BatchOutcome.ChainConflict;
                }

                if (IsConnectionEnded(e))
                {
                    throw new ConnectionLostException(e);
                }

                throw;
            }
            catch (Exception e) when (IsStoreFailure(e) || e is OperationCanceledException)
            {
                // The answer was lost: the batch may have committed. Settled now if the store answers, else before the next batch.
                stream.Uncertain(sent);
                var connectionLost = e is not (OperationCanceledException or TimeoutException);
                if (connectionLost)
                {
                    _dataSource.Clear(); // the lookup below must not take another dead one
                }

                var committed = await ResolveAsync(stream, backend, CancellationToken.None);
                if (committed == true)
                {
                    LogLostAnswerCommitted(_logger, stream.WriterId, rows.Length);
                    return BatchOutcome.Written;
                }

                if (committed == false && connectionLost)
                {
                    throw new ConnectionLostException(e);
                }

                throw committed == false
                    ? new AuditUnavailableException($"audit store unavailable: {e.Message}", e)
                    : new AuditUnavailableException($"audit store unavailable: {e.Message}", e) { OutcomeUnknown = true };
            }
        }

        stream.Committed(sent);
        return BatchOutcome.Written;
    }

    /// <summary>
    /// Settles the writer's batch of unknown outcome by looking up its first row; null when the store cannot be asked now.
    /// If the backend that ran it may still be running it, it is ended first, so the answer cannot change afterwards.
    /// </summary>
    private async Task<bool?> ResolveAsync(WriterStream stream, int? backend, CancellationToken cancellationToken)
    {
        var sent = stream.Unresolved!;
        bool committed;
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            if (backend is { } pid && !await AuditBackend.EndInsertAsync(connection, pid, cancellationToken))
            {
                return null;
            }

            await using var command = new NpgsqlCommand("SELECT writer, writer_seq FROM orleansgate_audit WHERE session_id = $1 AND session_seq = $2", connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sent.FirstChainId });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = sent.FirstChainSeq });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            committed = await reader.ReadAsync(cancellationToken) && reader.GetString(0) == stream.WriterId && reader.GetInt64(1) == sent.First;
        }
        catch (Exception e) when (IsStoreFailure(e) || e is OperationCanceledException)
        {
            return null;
        }

        stream.Resolve(committed);
        if (!committed)
        {
            // The void numbers are signed before this writer writes again, so a crash now cannot leave a gap unexplained.
            await _signer.SignDueAsync(cancellationToken);
        }

        return committed;
    }

    private static AuditUnavailableException Sealed(WriterStream stream) =>
        new($"audit store unavailable: this node's audit writer {stream.WriterId} was sealed by another node, which saw this node declared dead; restart the node");

    private static void Complete(List<PendingRow> batch, AuditUnavailableException? failure)
    {
        foreach (var item in batch)
        {
            if (failure is null)
            {
                item.Completion.TrySetResult();
            }
            else
            {
                item.Completion.TrySetException(failure);
            }
        }
    }

    /// <summary>The store ended the session (57P01 admin shutdown, 57P02 crash shutdown): whatever it ran rolled back.</summary>
    private static bool IsConnectionEnded(PostgresException e) =>
        e.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown;

    private static bool IsStoreFailure(Exception e) =>
        e is NpgsqlException or InvalidOperationException or TimeoutException or IOException or SocketException;

    /// <summary>The batch did not land because its connection was dead (ended by the store, or broken); it may be sent again.</summary>
    private sealed class ConnectionLostException(Exception inner) : Exception(inner.Message, inner);

    private enum BatchOutcome
    {
        Written,
        ChainConflict,
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit batch of {Count} records did not land, its connection was lost ({Error}); the pool's idle connections are dropped and the batch is sent again on a new one")]
    private static partial void LogConnectionLost(ILogger logger, int count, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit batch of {Count} appends hit a stale chain head; writing its appends one by one")]
    private static partial void LogBatchSplit(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Audit batch of {Count} records could not be written: {Error}; statements are refused until the audit store answers (further failures are summarised once a minute)")]
    private static partial void LogBatchFailed(ILogger logger, int count, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Audit store still unavailable: {Failures} batches failed in {Duration}; last error: {Error}")]
    private static partial void LogStillDown(ILogger logger, long failures, TimeSpan duration, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit store answers again after {Failures} failed batches in {Duration}")]
    private static partial void LogStoreBack(ILogger logger, long failures, TimeSpan duration);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit writer {Writer}: the answer to a batch of {Count} records was lost, but the batch was written")]
    private static partial void LogLostAnswerCommitted(ILogger logger, string writer, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Audit writer {Writer} was sealed by another node (this node was declared dead): its records are refused; restart the node")]
    private static partial void LogWriterSealed(ILogger logger, string writer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit writers stopped without signing their end in time: a live node seals them")]
    private static partial void LogEndNotSigned(ILogger logger);

    /// <summary>One append: its rows go into one batch together (never split), so they are durable together or not at all.</summary>
    private sealed class PendingRow(AuditRow[] rows)
    {
        public AuditRow[] Rows { get; } = rows;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
