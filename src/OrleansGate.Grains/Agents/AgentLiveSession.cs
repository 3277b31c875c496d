using OrleansGate.Model;

namespace OrleansGate.Grains.Agents;

/// <summary>A live session of an agent and the observer of the edge that holds it (persisted in <see cref="AgentState"/>).</summary>
[GenerateSerializer, Immutable]
public sealed record AgentLiveSession(
    [property: Id(0)] SessionInfo Session,
    [property: Id(1)] ISessionTerminator Terminator);
