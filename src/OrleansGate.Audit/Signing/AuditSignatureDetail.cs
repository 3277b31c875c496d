using System.Text.Json;

namespace OrleansGate.Audit.Signing;

/// <summary>
/// The detail of a signature, as signed JSON. A start names who runs the writer and where its signatures are anchored
/// (so <c>audit verify</c> knows which checkpoint file must hold them); a signature lists numbers folded as void; a seal
/// says what the sealer found.
/// </summary>
public sealed record AuditSignatureDetail
{
    public string? Node { get; init; }

    public string? Cluster { get; init; }

    public string? Silo { get; init; }

    public int? ProcessId { get; init; }

    /// <summary>The full path of the checkpoint file this writer appends its signatures to (null: none).</summary>
    public string? AnchorFile { get; init; }

    /// <summary>Numbers (inclusive ranges) since the previous signature that the writer used for a batch that never committed.</summary>
    public IReadOnlyList<long[]> Void { get; init; } = [];

    /// <summary>Seals: numbers (inclusive ranges) with no row although later rows of the writer exist (deleted before the seal).</summary>
    public IReadOnlyList<long[]> Missing { get; init; } = [];

    /// <summary>Seals: the row number the dead writer's last signature in the database covers.</summary>
    public long? LastSigned { get; init; }

    /// <summary>
    /// Seals: the number of that signature. A later one found only in the writer's checkpoint file was made just before it
    /// died, and never reached the database; one at or below it missing from the database was deleted.
    /// </summary>
    public long? LastNumber { get; init; }

    /// <summary>Seals: why the writer was judged dead, and anything wrong the sealer saw in its unsigned tail.</summary>
    public string? Note { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, AuditJson.Default.AuditSignatureDetail);

    /// <summary>Null when the text is not a detail (a signature is checked first, so this is only reached for signed text).</summary>
    public static AuditSignatureDetail? TryParse(string text)
    {
        try
        {
            return JsonSerializer.Deserialize(text, AuditJson.Default.AuditSignatureDetail);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
