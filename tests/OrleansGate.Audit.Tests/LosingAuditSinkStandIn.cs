using OrleansGate.Audit;

namespace OrleansGate.Audit.Tests;

public enum LostAnswer
{
    None,

    /// <summary>Nothing written; the failure is definite (an error answer).</summary>
    Refused,

    /// <summary>Nothing written, but the caller is told the outcome is unknown.</summary>
    BeforeWriting,

    /// <summary>Written, and the caller is told the outcome is unknown.</summary>
    AfterWriting,
}

/// <summary>
/// A stand-in for the audit store, in memory, for the chain's own logic: a lost answer cannot be produced on demand
/// against a real PostgreSQL. It keeps one chain's rows and refuses a fork as the unique key does.
/// </summary>
internal sealed class LosingAuditSinkStandIn : IAuditSink
{
    public List<AuditRow> Rows { get; } = [];

    public LostAnswer LoseNextAnswer { get; set; }

    public int HeadReads { get; private set; }

    public ValueTask AppendAsync(AuditRow row, CancellationToken cancellationToken = default) => AppendAsync([row], cancellationToken);

    public ValueTask AppendAsync(IReadOnlyList<AuditRow> rows, CancellationToken cancellationToken = default)
    {
        var lose = LoseNextAnswer;
        LoseNextAnswer = LostAnswer.None;
        if (lose is LostAnswer.Refused)
        {
            throw new AuditUnavailableException("refused");
        }

        if (lose is not LostAnswer.BeforeWriting)
        {
            if (rows.Any(r => Rows.Any(e => e.SessionSeq == r.SessionSeq)))
            {
                throw new AuditUnavailableException("chain conflict") { StaleHead = true };
            }

            Rows.AddRange(rows);
        }

        return lose is LostAnswer.None ? ValueTask.CompletedTask : throw new AuditUnavailableException("answer lost") { OutcomeUnknown = true };
    }

    public ValueTask<AuditChainHead?> ReadHeadAsync(string chainId, CancellationToken cancellationToken = default)
    {
        HeadReads++;
        return ValueTask.FromResult<AuditChainHead?>(Rows.Count == 0 ? null : new AuditChainHead(Rows[^1].SessionSeq, Rows[^1].Hash));
    }

    public ValueTask ProbeAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
}
