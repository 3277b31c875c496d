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
            _head = await _sink.ReadHeadAsync(_chainId, cancellationToken) ?? new AuditChainHead(0, AuditRow.GenesisHash);
            _uncertain = false;
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
}
