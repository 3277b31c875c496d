using System.Runtime.InteropServices;

namespace OrleansGate.Policy.Classification.Native;

/// <summary><c>PgQueryScanResult</c> from pg_query.h: the lexer's tokens as a protobuf <c>ScanResult</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly unsafe struct PgQueryScanResult
{
    public readonly PgQueryProtobuf Protobuf;
    public readonly byte* StderrBuffer;
    public readonly PgQueryError* Error;
}
