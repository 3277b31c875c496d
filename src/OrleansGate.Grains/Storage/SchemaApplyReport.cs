namespace OrleansGate.Grains.Storage;

/// <summary>What <c>schema apply</c> did, for the operator: never a password.</summary>
/// <param name="Target">database, host, port and the user it was applied as</param>
/// <param name="ScriptsRun">scripts run in this apply, with why ("new", "changed since last applied")</param>
/// <param name="ScriptsCurrent">scripts already recorded with the same hash, so not run</param>
/// <param name="RuntimeRole">the role granted what a node needs</param>
/// <param name="AuditRelations">the tables and sequences that role may only append to and read</param>
public sealed record SchemaApplyReport(
    string Target,
    IReadOnlyList<(string Script, string Reason)> ScriptsRun,
    int ScriptsCurrent,
    string RuntimeRole,
    IReadOnlyList<string> AuditRelations);
