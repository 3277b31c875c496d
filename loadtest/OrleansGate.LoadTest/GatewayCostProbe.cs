using Npgsql;

namespace OrleansGate.LoadTest;

/// <summary>
/// Marks a gateway run's start and end: the gateway's runtime counters (its <c>/debug/runtime</c> endpoint) and, when
/// the plan names the audit store, the audit rows and the CPU of the backends serving the audit writers (found in
/// <c>pg_stat_activity</c> by their application name, read from <c>/proc/PID/stat</c>), for <see cref="GatewayCost"/>.
/// </summary>
public sealed class GatewayCostProbe : IDisposable
{
    /// <summary>The audit writers' <c>application_name</c> (<c>PostgresAuditSink.ApplicationName</c>).</summary>
    public const string AuditApplicationName = "orleansgate-audit";

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly Uri _runtimeUrl;
    private readonly string? _auditStore;

    private GatewayCostProbe(Uri runtimeUrl, string? auditStore)
    {
        _runtimeUrl = runtimeUrl;
        _auditStore = auditStore;
    }

    public sealed record Mark(RuntimeCounters Runtime, AuditStoreSnapshot? Audit);

    /// <summary>A probe for a target that serves runtime counters; null for the others (direct, PgBouncer).</summary>
    public static async Task<GatewayCostProbe?> ForAsync(Plan plan, TargetSpec target, CancellationToken ct)
    {
        if (target.RuntimeUrl is null)
        {
            return null;
        }

        var auditStore = plan.AuditStore is null ? null : (await Endpoints.CreateAsync(plan.AuditStore, 1, ct).ConfigureAwait(false)).ConnectionString(0);
        return new GatewayCostProbe(new Uri(target.RuntimeUrl), auditStore);
    }

    public async Task<Mark> MarkAsync(CancellationToken ct)
    {
        AuditStoreSnapshot? audit = null;
        if (_auditStore is not null)
        {
            await using var connection = await OpenAsync(ct).ConfigureAwait(false);
            audit = await SnapshotAsync(connection, ct).ConfigureAwait(false);
        }

        return new Mark(await RuntimeCounters.ReadAsync(_http, _runtimeUrl, ct).ConfigureAwait(false), audit);
    }

    public async Task<GatewayCost> SinceAsync(Mark before, long statements, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(before);
        AuditStoreSnapshot? audit = null;
        long? rows = null;
        if (_auditStore is not null && before.Audit is not null)
        {
            await using var connection = await OpenAsync(ct).ConfigureAwait(false);
            audit = await SnapshotAsync(connection, ct).ConfigureAwait(false);

            // Through the primary key: only the run's rows are counted, not the whole table.
            await using var count = new NpgsqlCommand("SELECT count(*) FROM orleansgate_audit WHERE seq > $1", connection);
            count.Parameters.Add(new NpgsqlParameter { Value = before.Audit.LastSeq });
            rows = (long)(await count.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        }

        var runtime = await RuntimeCounters.ReadAsync(_http, _runtimeUrl, ct).ConfigureAwait(false);
        return GatewayCost.Between(statements, before.Runtime, runtime, before.Audit, audit, rows);
    }

    public void Dispose() => _http.Dispose();

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new NpgsqlConnection(_auditStore);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        return connection;
    }

    private static async Task<AuditStoreSnapshot> SnapshotAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var ticks = new Dictionary<int, long>();
        await using (var backends = new NpgsqlCommand("SELECT pid FROM pg_stat_activity WHERE application_name = $1", connection))
        {
            backends.Parameters.Add(new NpgsqlParameter { Value = AuditApplicationName });
            await using var reader = await backends.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                var pid = reader.GetInt32(0);
                try
                {
                    ticks[pid] = ProcessSampler.CpuTicks(pid);
                }
                catch (IOException)
                {
                    // The backend ended between the query and the read: it serves no writer any more.
                }
            }
        }

        await using var last = new NpgsqlCommand("SELECT coalesce(max(seq), 0) FROM orleansgate_audit", connection);
        return new AuditStoreSnapshot((long)(await last.ExecuteScalarAsync(ct).ConfigureAwait(false))!, ticks);
    }
}
