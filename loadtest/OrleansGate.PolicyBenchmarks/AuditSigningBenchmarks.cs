using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using OrleansGate.Audit.Signing;

namespace OrleansGate.PolicyBenchmarks;

/// <summary>
/// What signing adds to the audit: per record, one fold of the writer's running digest; per signature (every 250 ms per
/// writer that wrote something, however many records), one ECDSA P-256 signature. The CPU per record is the first plus
/// the second divided by the records per signature, which <c>loadtest/run.sh</c> reports from a run.
/// </summary>
[MemoryDiagnoser]
public class AuditSigningBenchmarks
{
    private readonly byte[] _digest = WriterDigest.Parse(WriterDigest.Genesis);
    private readonly string _rowHash = new('a', 64);
    private AuditSigningKey _key = null!;
    private byte[] _payload = null!;
    private long _seq;

    [GlobalSetup]
    public void Setup()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("orleansgate-bench-key-").FullName, "signing.key");
        using (var ecdsa = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256))
        {
            File.WriteAllText(path, ecdsa.ExportPkcs8PrivateKeyPem());
        }

        _key = AuditSigningKey.Load(path, NullLogger.Instance);
        _payload = new AuditSignature("bench:1:0/0", 2, "sign", DateTimeOffset.UtcNow, 1000, WriterDigest.Genesis, _key.KeyId, "bench:1:0/0", "{}", "").Payload();
    }

    [GlobalCleanup]
    public void Cleanup() => _key.Dispose();

    [Benchmark]
    public void FoldRecord() => WriterDigest.FoldRow(_digest, ++_seq, _rowHash);

    [Benchmark]
    public (string, string) SignSignature() => _key.Sign(_payload);
}
