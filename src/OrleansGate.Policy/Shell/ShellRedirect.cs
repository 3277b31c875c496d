namespace OrleansGate.Policy.Shell;

/// <summary>
/// One redirection, without its file descriptor number (<c>2&gt;/dev/null</c> is <c>("&gt;", "/dev/null")</c>).
/// File redirections are <c>&lt; &gt; &gt;&gt; &gt;| &lt;&gt; &amp;&gt; &amp;&gt;&gt;</c> (and <c>&gt;&amp;file</c>, read as <c>&amp;&gt;</c>);
/// <c>&gt;&amp;</c> and <c>&lt;&amp;</c> duplicate a descriptor (Target is its number or <c>-</c>); <c>&lt;&lt;</c>, <c>&lt;&lt;-</c>
/// (Target: the delimiter) and <c>&lt;&lt;&lt;</c> (Target: the word) feed static text to stdin.
/// </summary>
public sealed record ShellRedirect(string Operator, string Target)
{
    /// <summary>Whether <see cref="Target"/> names a file the shell opens (to read or to write alike).</summary>
    public bool IsFile => Operator is "<" or ">" or ">>" or ">|" or "<>" or "&>" or "&>>";
}
