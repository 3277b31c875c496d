namespace OrleansGate.Policy.Classification;

/// <summary>What calling a known function adds to a statement: kinds, and the dangerous groups it belongs to.</summary>
internal sealed record FunctionEffect(StatementKind Kinds, IReadOnlyList<string> Groups)
{
    public FunctionEffect(StatementKind kinds, params string[] groups)
        : this(kinds, (IReadOnlyList<string>)groups)
    {
    }
}
