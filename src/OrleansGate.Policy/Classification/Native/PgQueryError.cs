using System.Runtime.InteropServices;

namespace OrleansGate.Policy.Classification.Native;

/// <summary><c>PgQueryError</c> from pg_query.h; only <see cref="Message"/> and <see cref="CursorPosition"/> are read.</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly unsafe struct PgQueryError
{
    public readonly byte* Message;
    public readonly byte* FunctionName;
    public readonly byte* FileName;
    public readonly int LineNumber;

    /// <summary>1-based character position in the input; 0 when the error has no position.</summary>
    public readonly int CursorPosition;

    public readonly byte* Context;
}
