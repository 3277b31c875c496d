using OrleansGate.Model;

namespace OrleansGate.Edge.Postgres;

/// <summary>
/// A statement refused by the gateway and replaced upstream by <see cref="Marker"/>, which the target rejects
/// as a syntax error. <see cref="Cycle"/> is the number of ReadyForQuery answers that precede its own, so the
/// upstream reader knows which error to rewrite, or that an earlier error made the target skip it.
/// </summary>
internal sealed record PendingDenial(string Marker, long Cycle, Decision Decision);
