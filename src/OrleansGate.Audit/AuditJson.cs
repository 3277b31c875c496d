using System.Text.Json.Serialization;

namespace OrleansGate.Audit;

/// <summary>Source-generated JSON for the audit's list columns and signature lines.</summary>
[JsonSerializable(typeof(IReadOnlyList<string>))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(Signing.AuditSignature))]
[JsonSerializable(typeof(Signing.AuditSignatureDetail))]
[JsonSerializable(typeof(AuditRow))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
public sealed partial class AuditJson : JsonSerializerContext;
