using System.Reflection;
using System.Runtime.InteropServices;

namespace OrleansGate.Policy.Classification.Native;

/// <summary>
/// Source-generated bindings to libpg_query (PostgreSQL 15's own parser, built as a library).
/// All functions are thread-safe: libpg_query keeps its memory contexts per thread.
/// </summary>
internal static unsafe partial class PgQueryNative
{
    public const string InstallHint = "libpg_query is not installed: apt-get install libpg-query1504.0";

    private const string LibraryName = "pg_query";

    // The soname first so that a dev package's unversioned symlink to another ABI is never preferred.
    private static readonly string[] Candidates =
    [
        "libpg_query.so.1504.0",
        "libpg_query.so",
        "libpg_query.dylib",
        "pg_query",
    ];

    private static readonly Lazy<nint> Handle = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    // Registered before the first call into the library: a static constructor runs before any
    // static method of this class, including the generated stubs below.
    static PgQueryNative() =>
        NativeLibrary.SetDllImportResolver(typeof(PgQueryNative).Assembly, Resolve);

    /// <summary>Loads the library now, so that a missing package fails at start rather than per statement.</summary>
    /// <exception cref="DllNotFoundException">libpg_query cannot be loaded.</exception>
    public static void EnsureLoaded() => _ = Handle.Value;

    [LibraryImport(LibraryName, EntryPoint = "pg_query_parse")]
    public static partial PgQueryParseResult Parse(byte* input);

    [LibraryImport(LibraryName, EntryPoint = "pg_query_free_parse_result")]
    public static partial void FreeParseResult(PgQueryParseResult result);

    [LibraryImport(LibraryName, EntryPoint = "pg_query_normalize")]
    public static partial PgQueryNormalizeResult Normalize(byte* input);

    [LibraryImport(LibraryName, EntryPoint = "pg_query_free_normalize_result")]
    public static partial void FreeNormalizeResult(PgQueryNormalizeResult result);

    [LibraryImport(LibraryName, EntryPoint = "pg_query_fingerprint")]
    public static partial PgQueryFingerprintResult Fingerprint(byte* input);

    [LibraryImport(LibraryName, EntryPoint = "pg_query_free_fingerprint_result")]
    public static partial void FreeFingerprintResult(PgQueryFingerprintResult result);

    [LibraryImport(LibraryName, EntryPoint = "pg_query_scan")]
    public static partial PgQueryScanResult Scan(byte* input);

    [LibraryImport(LibraryName, EntryPoint = "pg_query_free_scan_result")]
    public static partial void FreeScanResult(PgQueryScanResult result);

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        name == LibraryName ? Handle.Value : 0;

    private static nint Load()
    {
        foreach (var candidate in Candidates)
        {
            if (NativeLibrary.TryLoad(candidate, typeof(PgQueryNative).Assembly, null, out var handle))
            {
                return handle;
            }
        }

        throw new DllNotFoundException(InstallHint);
    }
}
