namespace OrleansGate.Edge.Postgres;

/// <summary>The upstream target could not be reached or refused the gateway. The message is safe to show the agent.</summary>
public sealed class UpstreamException(string message, Exception? inner = null) : Exception(message, inner);
