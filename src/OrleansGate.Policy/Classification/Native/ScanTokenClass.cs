namespace OrleansGate.Policy.Classification.Native;

/// <summary>What the redactor needs to know about a lexer token.</summary>
internal enum ScanTokenClass
{
    Other,
    Literal,
    Comment,
}
