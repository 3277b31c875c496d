namespace OrleansGate.Postgres.Protocol;

/// <summary>A Parse ('P') message: prepare <paramref name="Sql"/> as <paramref name="StatementName"/> ("" = unnamed).</summary>
/// <param name="ParameterTypeOids">Declared parameter types, 0 = unspecified; OIDs are unsigned on the wire, kept bit for bit.</param>
public sealed record ParseMessage(string StatementName, string Sql, int[] ParameterTypeOids);
