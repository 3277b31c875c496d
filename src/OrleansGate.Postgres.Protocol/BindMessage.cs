namespace OrleansGate.Postgres.Protocol;

/// <summary>A Bind ('B') message: bind parameters to <paramref name="StatementName"/> into <paramref name="PortalName"/>.</summary>
/// <remarks>Parameter values are validated but not kept: policy decides on the statement, not on its values.</remarks>
public sealed record BindMessage(string PortalName, string StatementName, int ParameterCount)
{
    /// <summary>Result-column format codes (0 text, 1 binary): none = all text, one = for all columns, else one per column.</summary>
    /// <remarks>Masking rewrites result values, so it needs to know how they are encoded.</remarks>
    public IReadOnlyList<short> ResultFormatCodes { get; init; } = [];
}
