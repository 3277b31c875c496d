using System.Runtime.InteropServices;

namespace OrleansGate.Policy.Classification.Native;

/// <summary><c>PgQueryNormalizeResult</c> from pg_query.h: the text with literals replaced by <c>$n</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly unsafe struct PgQueryNormalizeResult
{
    public readonly byte* NormalizedQuery;
    public readonly PgQueryError* Error;
}
