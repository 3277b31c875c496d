using System.Security.Cryptography;
using System.Text.Json;
using OrleansGate.Audit;
using OrleansGate.Audit.Signing;

namespace OrleansGate.Audit.Tests;

public sealed class AuditSignatureTests
{
    private static AuditSignature Sample() => new(
        "node:1:abcd/0", 2, "sign", new DateTimeOffset(2026, 12, 2, 10, 0, 0, TimeSpan.Zero).AddTicks(1230), 17, WriterDigest.Genesis, "p256:0011223344556677",
        "node:1:abcd/0", "{\"void\":[[3,4]]}", "");

    [Fact]
    public void Payload_of_a_fixed_signature_is_pinned_so_a_change_of_the_format_cannot_go_unnoticed()
    {
        Assert.Equal(Pinned, Convert.ToHexStringLower(SHA256.HashData(Sample().Payload())));
    }

    [Fact]
    public void Every_field_but_the_signature_is_in_the_payload()
    {
        var sample = Sample();
        var variants = new[]
        {
            sample with { Writer = "other" }, sample with { Number = 3 }, sample with { Kind = "end" }, sample with { At = sample.At.AddTicks(10) },
            sample with { WriterSeq = 18 }, sample with { Digest = new string('1', 64) }, sample with { KeyId = "p256:ff" },
            sample with { Signer = "sealer" }, sample with { Detail = "{}" },
        };

        Assert.All(variants, v => Assert.NotEqual(sample.Payload(), v.Payload()));
        Assert.Equal(sample.Payload(), (sample with { Signature = "anything" }).Payload());
    }

    [Fact]
    public void A_signature_line_reads_back_equal_to_what_was_written()
    {
        var sample = Sample() with { Signature = "c2ln" };
        var line = JsonSerializer.Serialize(sample, AuditJson.Default.AuditSignature);

        Assert.Equal(sample, JsonSerializer.Deserialize(line, AuditJson.Default.AuditSignature));
        Assert.Equal(AuditSignatureKind.Sign, sample.ParsedKind);
        Assert.Null((sample with { Kind = "Sign" }).ParsedKind);
    }

    private const string Pinned = "6195a1819a92e34902038c02d7b77ac43cede499c5f97537cbb03501bb60e841";
}
