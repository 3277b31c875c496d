namespace OrleansGate.Policy.Classification.Native;

/// <summary>An error reported by libpg_query: the message and the 1-based character position (0 when none).</summary>
internal readonly record struct NativeError(string Message, int Position);
