namespace OrleansGate.Policy.Loading;

/// <summary>A policy file that cannot be used; the message names the file, the line and the problem.</summary>
public sealed class PolicyLoadException : Exception
{
    public PolicyLoadException(string source, int line, string problem)
        : base($"{source}:{line}: {problem}")
    {
        Source = source;
        Line = line;
        Problem = problem;
    }

    public PolicyLoadException()
    {
        Source = "";
        Problem = "";
    }

    public PolicyLoadException(string message)
        : base(message)
    {
        Source = "";
        Problem = message;
    }

    public PolicyLoadException(string message, Exception innerException)
        : base(message, innerException)
    {
        Source = "";
        Problem = message;
    }

    public new string Source { get; }

    public int Line { get; }

    public string Problem { get; }
}
