namespace OrleansGate.Policy.Shell;

internal enum ShellTokenKind
{
    Word,
    Operator,
    Newline,
    End,
}

/// <summary>A word after quote removal, with its source text so reserved words and assignments are told by how they were written.</summary>
/// <param name="Quoted">Some part was quoted or escaped: a quoted <c>if</c> or <c>{</c> is an ordinary word.</param>
internal sealed record ShellWord(string Text, string Raw, bool Quoted, int Offset)
{
    /// <summary>Written exactly as <paramref name="text"/>, unquoted.</summary>
    public bool IsPlain(string text) => !Quoted && Raw == text;
}

/// <param name="Fd">The descriptor number written before a redirection operator (<c>2</c> of <c>2&gt;&amp;1</c>), or null.</param>
internal readonly record struct ShellToken(ShellTokenKind Kind, string Text, int Offset, ShellWord? Word = null, string? Fd = null)
{
    public bool Is(string op) => Kind == ShellTokenKind.Operator && Text == op;

    public bool IsPlainWord(string text) => Kind == ShellTokenKind.Word && Word!.IsPlain(text);

    public bool IsRedirect => Kind == ShellTokenKind.Operator
        && Text is "<" or ">" or ">>" or ">|" or "<>" or "&>" or "&>>" or "<&" or ">&" or "<<" or "<<-" or "<<<";
}
