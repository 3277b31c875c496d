using OrleansGate.Postgres.Protocol;

namespace OrleansGate.Edge.Postgres;

/// <summary>Handles one message from the target; true when it ends what is being read (ReadyForQuery).</summary>
public delegate bool UpstreamMessageHandler(in PgMessage message);
