using System.Runtime.InteropServices;

namespace OrleansGate.Policy.Classification.Native;

/// <summary><c>PgQueryParseResult</c> from pg_query.h: the parse tree as JSON, or an error.</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly unsafe struct PgQueryParseResult
{
    public readonly byte* ParseTree;
    public readonly byte* StderrBuffer;
    public readonly PgQueryError* Error;
}
