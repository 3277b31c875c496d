using OrleansGate.Model;

namespace OrleansGate.Audit;

/// <summary>
/// One hash chain (a session, or a grain that audits system events such as policy changes). Not thread-safe:
/// its owner is a grain, which appends one record at a time, so a chain never has two records in flight and
/// its order is the order of the awaits. The head advances only after the record is durable.
/// </summary>
/// <remarks>
/// When an append's outcome is unknown (its answer was lost and the writer could not settle it), the next append
/// first reads the durable head back: no gap, no fork. If the lost append did land, the records the caller sends
/// again (the same records: a retried completion, a logout written later) are recognised by their hashes and not
/// written a second time.
/// </remarks>
public sealed class AuditChain
{
    private readonly IAuditSink _sink;
    private readonly string _chainId;
    private AuditChainHead _head = new(0, AuditRow.GenesisHash);
    private bool _uncertain;

    // The append whose outcome is unknown: where it started and the rows it would have written.
    private (AuditChainHead Before, AuditRow[] Rows)? _attempt;

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
    public Task<long> AppendAsync(AuditRecord record, CancellationToken cancellationToken = default) => AppendAsync([record], cancellationToken);

    /// <summary>
    /// Makes <paramref name="records"/> durable as the chain's next links, together (one atomic append: all or none);
    /// returns the number in the chain of the last one.
    /// </summary>
    /// <exception cref="AuditUnavailableException">Nothing was acknowledged; the chain stays consistent for the next append.</exception>
    public async Task<long> AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0)
        {
            return _head.SessionSeq;
        }

        if (_uncertain)
        {
            _head = await _sink.ReadHeadAsync(_chainId, cancellationToken) ?? new AuditChainHead(0, AuditRow.GenesisHash);
            _uncertain = false;
        }

        var attempt = _attempt;
        var skip = AlreadyWritten(records);
        _attempt = null;
        if (skip == records.Count)
        {
            return attempt!.Value.Rows[skip - 1].SessionSeq;
        }

        // After the durable head: the whole lost append landed, also the rows of it the caller does not send again.
        var before = _head;
        var head = _head;
        var rows = new AuditRow[records.Count - skip];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = AuditRow.Create(records[skip + i], _chainId, head.SessionSeq + 1, head.Hash);
            head = new AuditChainHead(rows[i].SessionSeq, rows[i].Hash);
        }

        try
        {
            if (rows.Length == 1)
            {
                await _sink.AppendAsync(rows[0], cancellationToken);
            }
            else
            {
                await _sink.AppendAsync(rows, cancellationToken);
            }
        }
        catch (AuditUnavailableException e) when (!e.OutcomeUnknown && !e.StaleHead)
        {
            throw; // nothing was written: the head stands
        }
        catch (Exception e)
        {
            _uncertain = true;
            if (e is AuditUnavailableException { OutcomeUnknown: true })
            {
                _attempt = (before, rows);
            }

            throw;
        }

        _head = head;
        return head.SessionSeq;
    }

    /// <summary>
    /// How many of <paramref name="records"/> (from the first) the append of unknown outcome already wrote: none, unless
    /// the durable head is that append's last row and the records rebuild to its rows' hashes.
    /// </summary>
    private int AlreadyWritten(IReadOnlyList<AuditRecord> records)
    {
        if (_attempt is not { } attempt || _head != new AuditChainHead(attempt.Rows[^1].SessionSeq, attempt.Rows[^1].Hash))
        {
            return 0;
        }

        var head = attempt.Before;
        var same = 0;
        while (same < records.Count && same < attempt.Rows.Length)
        {
            var row = AuditRow.Create(records[same], _chainId, head.SessionSeq + 1, head.Hash);
            if (row.Hash != attempt.Rows[same].Hash)
            {
                break;
            }

            head = new AuditChainHead(row.SessionSeq, row.Hash);
            same++;
        }

        return same;
    }
}
