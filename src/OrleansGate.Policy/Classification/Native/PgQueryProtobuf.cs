using System.Runtime.InteropServices;

namespace OrleansGate.Policy.Classification.Native;

/// <summary><c>PgQueryProtobuf</c> from pg_query.h: a length-prefixed protobuf buffer.</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly unsafe struct PgQueryProtobuf
{
    public readonly nuint Length;
    public readonly byte* Data;
}
