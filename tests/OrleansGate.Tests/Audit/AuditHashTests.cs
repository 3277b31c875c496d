using OrleansGate.Audit;
using OrleansGate.Grains.Audit;

namespace OrleansGate.Tests.Audit;

/// <summary>
/// The chain hash is part of the stored data: every chain already written is verified with it. These vectors were
/// computed by the first implementation; a change of the canonical encoding fails here before it breaks stored chains.
/// </summary>
public sealed class AuditHashTests
{
    private static AuditRow Row(long? completesSeq = null) => new()
    {
        At = new DateTimeOffset(2026, 11, 29, 9, 30, 0, TimeSpan.Zero).AddTicks(1234560),
        Kind = "Statement",
        Issuer = "https://idp.example/",
        Subject = "agent-ä",
        TokenId = null,
        Groups = ["dev", "ops"],
        SessionId = "s-1",
        SessionSeq = 7,
        EdgeNode = "node-1",
        ClientAddress = "127.0.0.1:5432",
        Target = "demo",
        Protocol = "postgres",
        Fingerprint = "abc",
        Statement = "SELECT $1",
        StatementKinds = "Read",
        RelationsRead = ["public.t"],
        RelationsWritten = [],
        Decision = "Allow",
        Rule = "allow-all",
        Reason = "ok",
        PolicyVersion = 3,
        MaskedColumns = [],
        Rows = null,
        DurationMicroseconds = null,
        Outcome = null,
        PrevHash = AuditRow.GenesisHash,
        Hash = "",
        CompletesSeq = completesSeq,
    };

    [Fact]
    public void Hash_of_a_fixed_record_never_changes()
    {
        Assert.Equal("f08c739406757bdb037dd0601dc8faa6bf1dc7139cd171366da9d8d183e76f45", AuditHash.Compute(Row()));
    }

    [Fact]
    public void Completion_link_is_part_of_the_hash_only_when_present()
    {
        Assert.NotEqual(AuditHash.Compute(Row()), AuditHash.Compute(Row(completesSeq: 6)));
        Assert.Equal(AuditHash.Compute(Row(completesSeq: 6)), AuditHash.Compute(Row(completesSeq: 6)));
    }

    [Fact]
    public void Huge_record_hashes_like_a_small_one_would_and_leaves_later_hashes_alone()
    {
        var small = AuditHash.Compute(Row());
        var huge = Row() with { Statement = new string('x', 200_000) };
        Assert.NotEqual(small, AuditHash.Compute(huge));
        Assert.Equal(small, AuditHash.Compute(Row()));
    }
}
