using OrleansGate.Model;

namespace OrleansGate.Grains.Audit;

/// <summary>
/// One hash chain (a session, or a grain that audits system events such as policy changes). Not thread-safe:
/// its owner is a grain, which appends one record at a time, so a chain never has two records in flight and
/// its order is the order of the awaits. The head advances only after the record is durable; after a failure
/// the outcome is unknown (the insert may have committed before the connection broke), so the next append
/// first reads the durable head back: no gap, no fork.
/// </summary>
public sealed class AuditChain
{
    private readonly IAuditSink _sink;
    private readonly string _chainId;
    private AuditChainHead _head = new(0, AuditRow.GenesisHash);
    private bool _uncertain;

    private AuditChain(IAuditSink sink, string chainId, bool uncertain)
    {
        _sink = sink;
        _chainId = chainId;
        _uncertain = uncertain;
    }

    /// <summary>A chain that has no records yet (a new session: its id is new).</summary>
    public static AuditChain Start(IAuditSink sink, string chainId) => new(sink, chainId, uncertain: false);

    /// <summary>A chain that may already have records (a long-lived grain): the head is read from the store on first append.</summary>
    public static AuditChain Resume(IAuditSink sink, string chainId) => new(sink, chainId, uncertain: true);

    public string ChainId => _chainId;

    /// <summary>Makes <paramref name="record"/> durable as the chain's next link; returns its number in the chain.</summary>
    /// <exception cref="AuditUnavailableException">Nothing was acknowledged; the chain stays consistent for the next append.</exception>
    public async Task<long> AppendAsync(AuditRecord record, CancellationToken cancellationToken = default)
    {
        if (_uncertain)
        {
            await ReadHeadAsync(cancellationToken);
        }

        var row = AuditRow.Create(record, _chainId, _head.SessionSeq + 1, _head.Hash);
        try
        {
            await _sink.AppendAsync(row, cancellationToken);
        }
        catch
        {
            _uncertain = true;
            throw;
        }

        _head = new AuditChainHead(row.SessionSeq, row.Hash);
        return row.SessionSeq;
    }

    /// <summary>
    /// Makes <paramref name="records"/> durable as the chain's next links, together (one atomic append: all or none);
    /// returns the number in the chain of the last one.
    /// </summary>
    /// <exception cref="AuditUnavailableException">Nothing was acknowledged; the chain stays consistent for the next append.</exception>
    public async Task<long> AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 1)
        {
            return await AppendAsync(records[0], cancellationToken);
        }

        if (_uncertain)
        {
            await ReadHeadAsync(cancellationToken);
        }

        var rows = new AuditRow[records.Count];
        var head = _head;
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = AuditRow.Create(records[i], _chainId, head.SessionSeq + 1, head.Hash);
            head = new AuditChainHead(rows[i].SessionSeq, rows[i].Hash);
        }

        try
        {
            await _sink.AppendAsync(rows, cancellationToken);
        }
        catch
        {
            _uncertain = true;
            throw;
        }

        _head = head;
        return head.SessionSeq;
    }

    private async Task ReadHeadAsync(CancellationToken cancellationToken)
    {
        _head = await _sink.ReadHeadAsync(_chainId, cancellationToken) ?? new AuditChainHead(0, AuditRow.GenesisHash);
        _uncertain = false;
    }
}
