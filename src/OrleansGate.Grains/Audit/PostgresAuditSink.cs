using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using OrleansGate.Model;

namespace OrleansGate.Grains.Audit;

/// <summary>
/// Group-committed audit writer: appends from every session on this silo are queued, and one loop writes
/// whatever has accumulated in one transaction (binary COPY), then completes every waiter at once.
/// Durability therefore costs latency, not a round trip per statement.
/// </summary>
public sealed partial class PostgresAuditSink : BackgroundService, IAuditSink
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly AuditOptions _options;
    private readonly ILogger<PostgresAuditSink> _logger;
    private readonly Channel<PendingRecord> _queue;

    public PostgresAuditSink(StateDatabase database, IOptions<AuditOptions> options, ILogger<PostgresAuditSink> logger)
    {
        _dataSource = database.DataSource;
        _options = options.Value;
        _logger = logger;
        _queue = Channel.CreateBounded<PendingRecord>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public async ValueTask<long> AppendAsync(AuditRecord record, CancellationToken cancellationToken = default)
    {
        var pending = new PendingRecord(record);
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

        return await pending.Completion.Task.WaitAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<PendingRecord>(_options.MaxBatchSize);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                while (batch.Count < _options.MaxBatchSize && _queue.Reader.TryRead(out var item))
                {
                    batch.Add(item);
                }

                await WriteBatchAsync(batch, stoppingToken);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            _queue.Writer.TryComplete();
            var shutdown = new AuditUnavailableException("the audit writer is shutting down");
            foreach (var item in batch)
            {
                item.Completion.TrySetException(shutdown);
            }

            while (_queue.Reader.TryRead(out var item))
            {
                item.Completion.TrySetException(shutdown);
            }
        }
    }

    private async Task WriteBatchAsync(List<PendingRecord> batch, CancellationToken cancellationToken)
    {
        try
        {
            var sequences = await WriteAsync(batch, cancellationToken);
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Completion.TrySetResult(sequences[i]);
            }
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            // Nothing of this batch is reported as written: the transaction either committed whole or not at all.
            LogBatchFailed(_logger, batch.Count, e.Message);
            var failure = new AuditUnavailableException($"audit store unavailable: {e.Message}", e);
            foreach (var item in batch)
            {
                item.Completion.TrySetException(failure);
            }
        }
    }

    private async Task<long[]> WriteAsync(List<PendingRecord> batch, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        var sequences = new long[batch.Count];
        await using (var reserve = new NpgsqlCommand("SELECT nextval('orleansgate_audit_seq') FROM generate_series(1, $1)", connection, transaction))
        {
            reserve.Parameters.Add(new NpgsqlParameter<int> { TypedValue = batch.Count });
            await using var reader = await reserve.ExecuteReaderAsync(cancellationToken);
            for (var i = 0; await reader.ReadAsync(cancellationToken); i++)
            {
                sequences[i] = reader.GetInt64(0);
            }
        }

        await using (var importer = await connection.BeginBinaryImportAsync(CopyCommand, cancellationToken))
        {
            for (var i = 0; i < batch.Count; i++)
            {
                await WriteRowAsync(importer, sequences[i], batch[i].Record, cancellationToken);
            }

            await importer.CompleteAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return sequences;
    }

    private const string CopyCommand =
        "COPY orleansgate_audit (seq, at, kind, issuer, subject, token_id, session_id, edge_node, client_address, target, protocol, " +
        "statement_fingerprint, statement_normalized, decision, rule, policy_version) FROM STDIN (FORMAT BINARY)";

    private static async Task WriteRowAsync(NpgsqlBinaryImporter importer, long sequence, AuditRecord record, CancellationToken ct)
    {
        var session = record.Session;
        await importer.StartRowAsync(ct);
        await importer.WriteAsync(sequence, NpgsqlDbType.Bigint, ct);
        await importer.WriteAsync(record.At, NpgsqlDbType.TimestampTz, ct);
        await importer.WriteAsync(record.Kind.ToString(), NpgsqlDbType.Text, ct);
        await importer.WriteAsync(session.Agent.Issuer, NpgsqlDbType.Text, ct);
        await importer.WriteAsync(session.Agent.Subject, NpgsqlDbType.Text, ct);
        await WriteNullableAsync(importer, session.TokenId, ct);
        await importer.WriteAsync(session.SessionId, NpgsqlDbType.Text, ct);
        await importer.WriteAsync(session.EdgeNode, NpgsqlDbType.Text, ct);
        await importer.WriteAsync(session.ClientAddress, NpgsqlDbType.Text, ct);
        await importer.WriteAsync(session.Target, NpgsqlDbType.Text, ct);
        await importer.WriteAsync(session.Protocol, NpgsqlDbType.Text, ct);
        await WriteNullableAsync(importer, record.StatementFingerprint, ct);
        await WriteNullableAsync(importer, record.NormalizedStatement, ct);
        await WriteNullableAsync(importer, record.Decision?.Effect.ToString(), ct);
        await WriteNullableAsync(importer, record.Decision?.Rule, ct);
        if (record.Decision is { } decision)
        {
            await importer.WriteAsync(decision.PolicyVersion, NpgsqlDbType.Bigint, ct);
        }
        else
        {
            await importer.WriteNullAsync(ct);
        }
    }

    private static Task WriteNullableAsync(NpgsqlBinaryImporter importer, string? value, CancellationToken ct) =>
        value is null ? importer.WriteNullAsync(ct) : importer.WriteAsync(value, NpgsqlDbType.Text, ct);

    [LoggerMessage(Level = LogLevel.Error, Message = "Audit batch of {Count} records could not be written: {Error}")]
    private static partial void LogBatchFailed(ILogger logger, int count, string error);

    private sealed class PendingRecord(AuditRecord record)
    {
        public AuditRecord Record { get; } = record;

        public TaskCompletionSource<long> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
