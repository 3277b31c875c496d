using System.Security.Cryptography;
using System.Text;

namespace OrleansGate.Grains.Storage;

/// <summary>One schema script: its file name (which fixes its place in the order), its text and the SHA-256 of its bytes.</summary>
internal sealed record SchemaScript(string Name, string Text, string Sha256)
{
    // Scripts are the Storage/Sql/*.sql files embedded by the project file; MSBuild names them after the folder.
    private const string ResourcePrefix = "OrleansGate.Grains.Storage.Sql.";

    public static SchemaScript FromBytes(string name, byte[] content)
    {
        var text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(content).TrimStart('\uFEFF');
        return new SchemaScript(name, text, Convert.ToHexStringLower(SHA256.HashData(content)));
    }

    /// <summary>The embedded scripts in ordinal name order (001_…, 010_…, 900_…).</summary>
    public static IReadOnlyList<SchemaScript> LoadEmbedded()
    {
        var assembly = typeof(SchemaScript).Assembly;
        var scripts = new List<SchemaScript>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(ResourcePrefix, StringComparison.Ordinal) || !resource.EndsWith(".sql", StringComparison.Ordinal))
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(resource)
                ?? throw new InvalidOperationException($"embedded schema script {resource} cannot be opened");
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            scripts.Add(FromBytes(resource[ResourcePrefix.Length..], buffer.ToArray()));
        }

        if (scripts.Count == 0)
        {
            throw new InvalidOperationException($"no schema scripts are embedded in {assembly.GetName().Name} (expected resources named {ResourcePrefix}*.sql)");
        }

        scripts.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return scripts;
    }

    /// <summary>The audit scripts (9xx): what a separate audit store gets.</summary>
    public static IReadOnlyList<SchemaScript> LoadAudit() => [.. LoadEmbedded().Where(s => s.Name.StartsWith('9'))];
}
