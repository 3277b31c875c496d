using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using OrleansGate.Model;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.Edge.Postgres;

/// <summary>
/// Statements the gateway refused, sent upstream in their place as a unique marker the target rejects as a syntax error,
/// so the target's pipeline (and its ReadyForQuery count) stays as the client expects; the target's error for a marker is
/// then replaced by the refusal. The client loop injects (<see cref="InjectQuery"/>, <see cref="InjectParse"/>); the
/// upstream loop matches (<see cref="TryTake"/>, <see cref="CycleEnded"/>).
/// </summary>
internal sealed class InjectedRefusals
{
    private const string MarkerPrefix = "ORLEANSGATE_REFUSED_";

    private readonly ConcurrentQueue<PendingDenial> _pending = new();

    /// <summary>Refusals whose error the target has not answered yet.</summary>
    public int Count => _pending.Count;

    /// <summary>Writes a Query of a fresh marker for <paramref name="decision"/>, in the cycle numbered <paramref name="cycle"/>.</summary>
    public void InjectQuery(IBufferWriter<byte> upstream, long cycle, Decision decision) =>
        FrontendWriter.Query(upstream, Enqueue(cycle, decision));

    /// <summary>Writes a Parse of a fresh marker under <paramref name="statementName"/> for <paramref name="decision"/>.</summary>
    public void InjectParse(IBufferWriter<byte> upstream, long cycle, string statementName, Decision decision) =>
        FrontendWriter.Parse(upstream, statementName, Enqueue(cycle, decision));

    /// <summary>
    /// The target's error (<paramref name="error"/>, read once by the relay) in cycle <paramref name="cycle"/> answers the
    /// oldest refusal's marker: that refusal is taken and replaces it. False for any other error, which is relayed.
    /// </summary>
    public bool TryTake(IReadOnlyDictionary<char, string> error, long cycle, out Decision decision)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (_pending.TryPeek(out var oldest) && oldest.Cycle == cycle
            && error.TryGetValue('M', out var text) && text.Contains(oldest.Marker, StringComparison.Ordinal)
            && _pending.TryDequeue(out _))
        {
            decision = oldest.Decision;
            return true;
        }

        decision = null!;
        return false;
    }

    /// <summary>
    /// Cycle <paramref name="cycle"/> ended: a refusal of it still pending was skipped by the target after an earlier error
    /// in the same pipeline (the client sees that error, as it would without the gateway).
    /// </summary>
    public void CycleEnded(long cycle)
    {
        while (_pending.TryPeek(out var skipped) && skipped.Cycle <= cycle)
        {
            _pending.TryDequeue(out _);
        }
    }

    /// <summary>An identifier the target cannot parse as a statement, unique so its error is recognised.</summary>
    private string Enqueue(long cycle, Decision decision)
    {
        var marker = MarkerPrefix + Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
        _pending.Enqueue(new PendingDenial(marker, cycle, decision));
        return marker;
    }
}
