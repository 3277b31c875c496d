using System.Buffers;

namespace OrleansGate.Kubernetes.Masking;

/// <summary>
/// Writes an object's JSON as received except for its masked values. Copying the bytes, rather than re-serialising,
/// keeps number text (<c>1e400</c>, 30-digit integers), escapes, white space and key order exactly as the API server sent them.
/// </summary>
internal static class ReplacementWriter
{
    /// <returns>The number of bytes written.</returns>
    /// <param name="replacements">In order and not overlapping, as <see cref="ObjectWalk"/> finds them.</param>
    public static long Write(in ReadOnlySequence<byte> json, List<Replacement> replacements, IBufferWriter<byte> output)
    {
        long position = 0, written = 0;
        foreach (var replacement in replacements)
        {
            written += Copy(json.Slice(position, replacement.Start - position), output);
            output.Write(replacement.Json.Span);
            written += replacement.Json.Length;
            position = replacement.End;
        }

        return written + Copy(json.Slice(position), output);
    }

    public static long Copy(in ReadOnlySequence<byte> bytes, IBufferWriter<byte> output)
    {
        foreach (var segment in bytes)
        {
            output.Write(segment.Span);
        }

        return bytes.Length;
    }
}
