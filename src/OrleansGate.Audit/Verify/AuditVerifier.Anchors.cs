using OrleansGate.Audit.Signing;

namespace OrleansGate.Audit.Verify;

public sealed partial class AuditVerifier
{
    private static List<AnchorFile> ReadAnchorFiles(IReadOnlyList<string> arguments, List<AuditProblem> problems, DateTimeOffset snapshot, List<string> notes)
    {
        var files = new List<AnchorFile>();
        foreach (var argument in arguments.Where(a => !string.IsNullOrWhiteSpace(a)))
        {
            var file = AnchorFile.Read(argument, problems);
            var later = file.Lines.Count(l => l.Signature.At > snapshot);
            if (later > 0)
            {
                notes.Add($"{later} signatures of {file.Path} were made after the database was read, and are not compared");
                file = file with { Lines = [.. file.Lines.Where(l => l.Signature.At <= snapshot)] };
            }

            files.Add(file);
        }

        return files;
    }

    /// <summary>
    /// Each file against the database: a signer whose start names the file (or whose node the file was given for) must
    /// have every one of its signatures in it, and every line must be in the database. Signatures are written to the file
    /// first and the database second (seals the other way round), so a node that died between the two leaves one
    /// signature in the file only, as its last: its seal (which names the last number it found in the database) explains
    /// it, and that is a note, as is the newest signature of a live writer not stored yet; anything else is a problem.
    /// </summary>
    private static void CompareAnchors(
        List<AnchorFile> files, List<AuditSignature> stored, SignatureSet signatures, List<AuditWriterReport> writers, List<AuditProblem> problems, List<string> notes)
    {
        var inDatabase = stored.ToHashSet();
        var storedNumbers = stored.Select(s => (s.Writer, s.Number)).ToHashSet();
        var state = writers.ToDictionary(w => w.Writer, w => w.State, StringComparer.Ordinal);
        var lastNumber = signatures.Writers.ToDictionary(w => w, w => signatures.For(w).Max(e => e.Signature.Number), StringComparer.Ordinal);
        var anchoredSomewhere = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var anchored = signatures.Writers
                .Where(w => signatures.StartDetail(w) is { } d && (d.AnchorFile == file.Path || (file.Node is not null && d.Node == file.Node)))
                .ToHashSet(StringComparer.Ordinal);
            anchoredSomewhere.UnionWith(anchored);
            if (!file.Exists)
            {
                if (anchored.Count > 0)
                {
                    problems.Add(new(0, $"checkpoint file {file.Path} does not exist, yet {anchored.Count} writers anchor their signatures to it (deleted or moved)", AuditProblemKind.Anchor));
                }
                else
                {
                    notes.Add($"checkpoint file {file.Path} does not exist and no writer anchors to it");
                }

                continue;
            }

            var inFile = file.Lines.Select(l => l.Signature).ToHashSet();
            foreach (var s in stored.Where(s => anchored.Contains(s.Signer) && !inFile.Contains(s)))
            {
                if (s.ParsedKind == AuditSignatureKind.Seal)
                {
                    notes.Add($"the seal of writer {s.Writer} by {s.Signer} is in the database but not in {file.Path} (the sealer stopped between the two)");
                    continue;
                }

                problems.Add(new(0, $"signature #{s.Number} of writer {s.Writer} ({s.Kind}, covering its records 1..#{s.WriterSeq}, {s.At:O}) is in the database but not in checkpoint file {file.Path}: the file was cut or edited", AuditProblemKind.Anchor));
            }

            foreach (var (line, s) in file.Lines.Where(l => !inDatabase.Contains(l.Signature)))
            {
                if (storedNumbers.Contains((s.Writer, s.Number)))
                {
                    continue; // differs: reported when the copies were merged
                }

                // A node that died between its file and its database leaves its last signatures in the file only; its
                // seal then names the last number it found in the database, and anything after that is explained.
                var seal = signatures.For(s.Writer).FirstOrDefault(e => e.Valid && e.Signature.Number == AuditSignature.SealNumber)?.Signature;
                if (seal is not null && AuditSignatureDetail.TryParse(seal.Detail)?.LastNumber is { } lastInDatabase && s.Number > lastInDatabase)
                {
                    notes.Add($"signature #{s.Number} of writer {s.Writer} is in checkpoint file {file.Path} (line {line}) only: its node died between writing the file and the database");
                    continue;
                }

                // A live writer's newest signature reaches the database a moment after the file, and later while the
                // store is down; the rows it covers were checked against it all the same.
                if (seal is null && state[s.Writer] == AuditWriterState.Open && lastNumber[s.Writer] == s.Number)
                {
                    notes.Add($"signature #{s.Number} of writer {s.Writer} (open) is in checkpoint file {file.Path} (line {line}) but not in the database yet");
                    continue;
                }

                problems.Add(new(0, $"signature #{s.Number} of writer {s.Writer} ({s.Kind}, covering its records 1..#{s.WriterSeq}) is in checkpoint file {file.Path} (line {line}) but not in the database (deleted)", AuditProblemKind.Anchor));
            }
        }

        foreach (var writer in writers.Where(w => w.State != AuditWriterState.Unsigned && !anchoredSomewhere.Contains(w.Writer)))
        {
            var detail = signatures.StartDetail(writer.Writer);
            notes.Add(detail?.AnchorFile is { } path
                ? $"writer {writer.Writer} (node {detail.Node}) anchors its signatures to {path}, which was not given: not cross-checked"
                : $"writer {writer.Writer} (node {detail?.Node}) has no checkpoint file: its signatures are in the database only");
        }
    }
}
