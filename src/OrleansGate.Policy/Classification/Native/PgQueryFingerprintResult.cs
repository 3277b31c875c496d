using System.Runtime.InteropServices;

namespace OrleansGate.Policy.Classification.Native;

/// <summary><c>PgQueryFingerprintResult</c> from pg_query.h.</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly unsafe struct PgQueryFingerprintResult
{
    public readonly ulong Fingerprint;

    /// <summary>The same value as 16 lower-case hex digits.</summary>
    public readonly byte* FingerprintText;

    public readonly byte* StderrBuffer;
    public readonly PgQueryError* Error;
}
