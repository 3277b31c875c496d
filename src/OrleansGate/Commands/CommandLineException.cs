namespace OrleansGate.Host.Commands;

/// <summary>The command line is wrong; the message says how.</summary>
public sealed class CommandLineException(string message) : Exception(message);
