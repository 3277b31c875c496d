namespace OrleansGate.Edge.Masking;

/// <summary>A hash mask's key cannot be read. The message names the mask and the variable or file, never the key.</summary>
public sealed class MaskKeyUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
