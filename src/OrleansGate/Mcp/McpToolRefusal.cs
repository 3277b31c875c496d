namespace OrleansGate.Host.Mcp;

/// <summary>A tool call that cannot go on: its message becomes the text of an <c>isError</c> tool result.</summary>
public sealed class McpToolRefusal(string message) : Exception(message);
