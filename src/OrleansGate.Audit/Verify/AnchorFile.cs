using System.Text.Json;
using OrleansGate.Audit.Signing;

namespace OrleansGate.Audit.Verify;

/// <summary>A checkpoint file as verify reads it: its full path, the node it was named for (NODE=PATH), and its signatures by line.</summary>
internal sealed record AnchorFile(string Path, string? Node, bool Exists, IReadOnlyList<(int Line, AuditSignature Signature)> Lines)
{
    /// <summary>Reads <paramref name="argument"/> (PATH or NODE=PATH); unreadable lines are problems, a missing file is reported by the caller.</summary>
    public static AnchorFile Read(string argument, List<AuditProblem> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        var equals = argument.IndexOf('=', StringComparison.Ordinal);
        var node = equals > 0 && !argument[..equals].Contains('/', StringComparison.Ordinal) ? argument[..equals] : null;
        var path = System.IO.Path.GetFullPath(node is null ? argument : argument[(equals + 1)..]);
        if (!File.Exists(path))
        {
            return new AnchorFile(path, node, false, []);
        }

        var lines = new List<(int, AuditSignature)>();
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (line.Length == 0)
            {
                continue;
            }

            try
            {
                var signature = JsonSerializer.Deserialize(line, AuditJson.Default.AuditSignature);
                if (signature is not { Writer: not null, Kind: not null, Digest: not null, KeyId: not null, Signer: not null, Detail: not null, Signature: not null })
                {
                    throw new JsonException("a field is missing");
                }

                lines.Add((number, signature));
            }
            catch (JsonException)
            {
                problems.Add(new(0, $"line {number} of checkpoint file {path} is not a signature (edited)", AuditProblemKind.Anchor));
            }
        }

        return new AnchorFile(path, node, true, lines);
    }
}
