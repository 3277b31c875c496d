using System.Security.Cryptography;
using OrleansGate.Audit.Signing;

namespace OrleansGate.Audit.Verify;

/// <summary>
/// Every signature verify has seen, from the database and from the checkpoint files, merged by (writer, number): each
/// checked once against the trusted keys. Only signatures that verify count for coverage.
/// </summary>
internal sealed class SignatureSet(IReadOnlyDictionary<string, ECDsa> trustedKeys, List<AuditProblem> problems)
{
    private readonly Dictionary<string, SortedDictionary<long, Entry>> _byWriter = new(StringComparer.Ordinal);

    public IEnumerable<string> Writers => _byWriter.Keys;

    public void AddStored(IEnumerable<AuditSignature> stored)
    {
        foreach (var signature in stored)
        {
            Get(signature.Writer)[signature.Number] = new Entry(signature, Check(signature, "in the database")) { InDatabase = true };
        }
    }

    public void AddFromFile(AnchorFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        foreach (var (line, signature) in file.Lines)
        {
            var entries = Get(signature.Writer);
            if (entries.TryGetValue(signature.Number, out var entry))
            {
                if (entry.Signature != signature)
                {
                    problems.Add(new(0, $"signature #{signature.Number} of writer {signature.Writer} differs between checkpoint file {file.Path} (line {line}) and the database", AuditProblemKind.Anchor));
                    Check(signature, $"in checkpoint file {file.Path} (line {line})");
                }

                entry.Files.Add(file.Path);
                continue;
            }

            entries[signature.Number] = new Entry(signature, Check(signature, $"in checkpoint file {file.Path} (line {line})")) { Files = { file.Path } };
        }
    }

    /// <summary>Every copy of <paramref name="writer"/>'s signatures by number (valid or not).</summary>
    public IReadOnlyList<Entry> For(string writer) =>
        _byWriter.TryGetValue(writer, out var entries) ? [.. entries.Values] : [];

    /// <summary>The valid start of <paramref name="writer"/>, if it has one.</summary>
    public AuditSignatureDetail? StartDetail(string writer) =>
        _byWriter.TryGetValue(writer, out var entries) && entries.TryGetValue(1, out var start) && start.Valid && start.Signature.ParsedKind == AuditSignatureKind.Start
            ? AuditSignatureDetail.TryParse(start.Signature.Detail)
            : null;

    private SortedDictionary<long, Entry> Get(string writer)
    {
        if (!_byWriter.TryGetValue(writer, out var entries))
        {
            _byWriter[writer] = entries = [];
        }

        return entries;
    }

    private bool Check(AuditSignature s, string where)
    {
        var name = $"signature #{s.Number} of writer {s.Writer} ({s.Kind}, {where})";
        if (!trustedKeys.TryGetValue(s.KeyId, out var key))
        {
            problems.Add(new(0, $"{name} is signed with key {s.KeyId}, which is not among the trusted keys: it proves nothing (forged, or a key the verifier was not given)", AuditProblemKind.Writer));
            return false;
        }

        bool valid;
        try
        {
            valid = key.VerifyData(s.Payload(), Convert.FromBase64String(s.Signature), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
        catch (FormatException)
        {
            valid = false;
        }

        if (!valid)
        {
            problems.Add(new(0, $"{name} has an invalid signature: it was forged or altered", AuditProblemKind.Writer));
        }
        else if (s.ParsedKind is null)
        {
            problems.Add(new(0, $"{name} has an unknown kind", AuditProblemKind.Writer));
            return false;
        }

        return valid;
    }

    public sealed class Entry(AuditSignature signature, bool valid)
    {
        public AuditSignature Signature { get; } = signature;

        public bool Valid { get; } = valid;

        public bool InDatabase { get; init; }

        public HashSet<string> Files { get; init; } = new(StringComparer.Ordinal);
    }
}
