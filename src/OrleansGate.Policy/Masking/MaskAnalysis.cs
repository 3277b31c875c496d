namespace OrleansGate.Policy.Masking;

/// <summary>The result of <see cref="MaskAnalyzer.Analyze"/> for one statement text.</summary>
public sealed class MaskAnalysis
{
    internal static readonly MaskAnalysis NotParsed = new(false, [], null);

    internal MaskAnalysis(bool parsed, IReadOnlyList<StatementMasking> statements, MaskRefusal? refusal)
    {
        Parsed = parsed;
        Statements = statements;
        Refusal = refusal;
        TouchesMaskedData = refusal is not null || statements.Any(static s => s.TouchesMaskedData);
    }

    /// <summary>False when the text does not parse (the relay refuses it anyway).</summary>
    public bool Parsed { get; }

    /// <summary>One per statement of the text, in order.</summary>
    public IReadOnlyList<StatementMasking> Statements { get; }

    /// <summary>The first reason the whole text must be refused, or null.</summary>
    public MaskRefusal? Refusal { get; }

    /// <summary>True when any statement names a masked relation (the relay then scrubs the target's errors and notices).</summary>
    public bool TouchesMaskedData { get; }
}
