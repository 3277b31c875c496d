using Orleans.Runtime;
using Orleans.Storage;
using OrleansGate.Grains;

namespace OrleansGate.Audit.Cluster;

/// <summary>
/// The audit store of a node without a silo: every append goes to a silo's store through <see cref="IAuditIngestGrain"/>.
/// A call that gets no answer may have been written: it is reported with an unknown outcome, so the chain reads its head
/// back and does not write its records twice.
/// </summary>
/// <remarks>
/// When the way to the silo fails (the gateway silo or the silo taking the call went: a <c>kill -9</c>, a restart), the
/// sink settles it at once rather than failing the statement: after each of <see cref="Settlement"/>'s pauses
/// it asks, through whichever silo answers now, for the chain's head. The rows' last hash there: they landed. The head
/// they link to: they did not, and are sent again. Another head: an unknown outcome, as before; so is a way still
/// broken after the last pause. A call not answered within <see cref="AttemptTimeout"/> is settled the same way (a
/// silo killed or stopped while it held the call does not answer), in the rounds too. Rows sent again that landed meanwhile after
/// all (a silo that was only slow) are refused by the store's unique chain numbers, never written twice.
/// </remarks>
public sealed class ClusterAuditSink : IAuditSink
{
    /// <summary>
    /// The pauses before each head read of a settlement, 23.5 s in all (as a login's, <c>ClusterRetry.Login</c>): after a
    /// <c>kill -9</c> the silo that takes this node's calls may go on forwarding them to the killed silo until it is
    /// declared dead (6 to 22 s measured), each refused at once ("Exception while sending message"). With 7.5 s of rounds,
    /// one CI run had all 21 sessions of the edge-only node refuse one statement each after a kill (death declared after
    /// 12 s); the statement's client waits instead, within its command timeout.
    /// </summary>
    public static readonly IReadOnlyList<TimeSpan> Settlement =
        [TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(8)];

    /// <summary>
    /// How long one call to the silos is waited for before it is settled like a broken one: a silo stopped (SIGSTOP)
    /// while it held the call answers only at Orleans' 30 s response timeout, past a client's own command timeout, while
    /// this node's gateway probe has routed the calls after it through another silo within about 4 s.
    /// </summary>
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(5);

    private readonly Func<IAuditIngestGrain> _ingest;
    private readonly TimeProvider _time;
    private readonly IReadOnlyList<TimeSpan> _settlement;
    private readonly TimeSpan _attemptTimeout;

    public ClusterAuditSink(IGrainFactory grains, TimeProvider time)
        : this(() => grains.GetGrain<IAuditIngestGrain>(0), time)
    {
    }

    /// <summary>With the grain reference given (tests: a stand-in for the silos).</summary>
    internal ClusterAuditSink(Func<IAuditIngestGrain> ingest, TimeProvider time, IReadOnlyList<TimeSpan>? settlement = null, TimeSpan? attemptTimeout = null)
    {
        _ingest = ingest;
        _time = time;
        _settlement = settlement ?? Settlement;
        _attemptTimeout = attemptTimeout ?? AttemptTimeout;
    }

    private IAuditIngestGrain Ingest => _ingest();

    public ValueTask AppendAsync(AuditRow row, CancellationToken cancellationToken = default) => AppendAsync([row], cancellationToken);

    public async ValueTask AppendAsync(IReadOnlyList<AuditRow> rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var batch = rows as AuditRow[] ?? [.. rows];
        Exception failure;
        try
        {
            await Ingest.Append(batch).WaitAsync(_attemptTimeout, _time, cancellationToken).ConfigureAwait(false);
            return;
        }
        catch (AuditUnavailableException)
        {
            throw;
        }
        catch (Exception e) when ((OnTheWay(e) || e is TimeoutException) && OneChain(batch))
        {
            failure = e; // a timeout too: a silo killed or stopped while it held the call does not answer it
        }
        catch (Exception e) when (e is OrleansException or TimeoutException or SiloUnavailableException or OperationCanceledException)
        {
            throw Unknown(e);
        }

        // Settled through the silos left: each round waits, reads the head, and sends the rows again if they did not land.
        foreach (var pause in _settlement)
        {
            try
            {
                await Task.Delay(pause, _time, cancellationToken).ConfigureAwait(false);
                var head = await Ingest.ReadHead(batch[0].SessionId).WaitAsync(_attemptTimeout, _time, cancellationToken).ConfigureAwait(false);
                switch (Landed(batch, head))
                {
                    case true:
                        return;
                    case null:
                        throw Unknown(failure); // another record holds their place: the chain reads its head back
                }

                await Ingest.Append(batch).WaitAsync(_attemptTimeout, _time, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (AuditUnavailableException)
            {
                throw;
            }
            catch (Exception e) when (OnTheWay(e) || (e is TimeoutException && !cancellationToken.IsCancellationRequested))
            {
                failure = e; // the way is still broken, or the silo asked holds the call: the next round
            }
            catch (Exception e) when (e is OrleansException or TimeoutException or SiloUnavailableException or OperationCanceledException)
            {
                throw Unknown(e); // also a cancelled wait: the chain must still recognise the rows if they landed
            }
        }

        throw Unknown(failure);
    }

    public async ValueTask<AuditChainHead?> ReadHeadAsync(string chainId, CancellationToken cancellationToken = default)
    {
        try
        {
            return await Ingest.ReadHead(chainId).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OrleansException or TimeoutException or SiloUnavailableException)
        {
            throw new AuditUnavailableException($"audit store unavailable: the cluster did not answer ({e.Message})", e);
        }
    }

    public async ValueTask ProbeAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await Ingest.Probe().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OrleansException or TimeoutException or SiloUnavailableException)
        {
            throw new AuditUnavailableException($"audit store unavailable: the cluster did not answer ({e.Message})", e);
        }
    }

    private static AuditUnavailableException Unknown(Exception e) =>
        new($"audit store unavailable: the cluster did not answer ({e.Message})", e) { OutcomeUnknown = true };

    /// <summary>A failure of the way to a silo, after which another silo can be asked at once.</summary>
    private static bool OnTheWay(Exception e) => e is not InconsistentStateException && ClusterRetry.IsTransient(e);

    private static bool OneChain(AuditRow[] rows) => rows.Length > 0 && Array.TrueForAll(rows, r => r.SessionId == rows[0].SessionId);

    /// <summary>True when the rows are the chain's head, false when the head is still the one they link to, else null.</summary>
    private static bool? Landed(AuditRow[] rows, AuditChainHead? head)
    {
        var (first, last) = (rows[0], rows[^1]);
        if (head is { } landed && landed.SessionSeq == last.SessionSeq && landed.Hash == last.Hash)
        {
            return true;
        }

        var before = head ?? new AuditChainHead(0, AuditRow.GenesisHash);
        return before.SessionSeq == first.SessionSeq - 1 && before.Hash == first.PrevHash ? false : null;
    }
}
