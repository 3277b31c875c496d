using System.Text;
using System.Text.Json;

namespace OrleansGate.Host.Mcp;

/// <summary>
/// Reads the answer of the agent listener's <c>POST /api/exec</c>: NDJSON lines <c>{"stream":"stdout","data":"…"}</c>
/// and <c>{"stream":"stderr",…}</c>, then one final line, <c>{"exit":0,"duration_ms":12,"bytes":345,"truncated":false}</c>
/// or <c>{"error":"…"}</c>. Output is kept up to a cap (the rest is counted, not kept); a stream that ends without its
/// final line is reported as such, never as a success.
/// </summary>
public sealed class ExecStreamReader(int maxOutputBytes, int maxLineBytes = 4 * 1024 * 1024)
{
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private long _kept;

    public string Stdout => _stdout.ToString();

    public string Stderr => _stderr.ToString();

    /// <summary>Output was cut here (the cap), or by the gateway (its final line says so).</summary>
    public bool Truncated { get; private set; }

    public int? ExitCode { get; private set; }

    public long? DurationMs { get; private set; }

    /// <summary>The gateway's or the command's error (final line <c>{"error":…}</c>, or a stream that broke off).</summary>
    public string? Error { get; private set; }

    /// <summary>Whether the final line arrived.</summary>
    public bool Finished => ExitCode is not null || Error is not null;

    /// <summary>Reads lines until the final one or the end; <paramref name="chunk"/> is told of each output line (progress).</summary>
    public async Task ReadAsync(Stream body, Func<string, string, Task>? chunk, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(body);
        using var reader = new StreamReader(body, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 16 * 1024, leaveOpen: true);
        while (!Finished && await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            if (line.Length > maxLineBytes)
            {
                Error = $"the exec stream sent a line over {maxLineBytes} bytes";
                return;
            }

            if (line.Length == 0)
            {
                continue;
            }

            if (Accept(line) is { } output && chunk is not null)
            {
                await chunk(output.Stream, output.Data).ConfigureAwait(false);
            }
        }

        if (!Finished)
        {
            Error = "the exec stream ended before its final line: the command's outcome is unknown";
        }
    }

    /// <summary>One NDJSON line; the output it carried (stream, data), or null for the final line.</summary>
    public (string Stream, string Data)? Accept(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException)
        {
            Error = "the exec stream sent a line that is not JSON";
            return null;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                Error = "the exec stream sent a line that is not a JSON object";
                return null;
            }

            if (root.TryGetProperty("stream", out var stream) && root.TryGetProperty("data", out var data)
                && stream.ValueKind == JsonValueKind.String && data.ValueKind == JsonValueKind.String)
            {
                var name = stream.GetString()!;
                var text = data.GetString()!;
                Keep(name == "stderr" ? _stderr : _stdout, text);
                return (name, text);
            }

            if (root.TryGetProperty("error", out var error))
            {
                Error = error.ValueKind == JsonValueKind.String ? error.GetString() : error.GetRawText();
                return null;
            }

            if (root.TryGetProperty("exit", out var exit) && exit.TryGetInt32(out var code))
            {
                ExitCode = code;
                DurationMs = root.TryGetProperty("duration_ms", out var duration) && duration.TryGetInt64(out var ms) ? ms : null;
                Truncated |= root.TryGetProperty("truncated", out var cut) && cut.ValueKind == JsonValueKind.True;
                return null;
            }

            Error = "the exec stream sent a line of no known shape";
            return null;
        }
    }

    private void Keep(StringBuilder into, string text)
    {
        var room = maxOutputBytes - _kept;
        if (room <= 0)
        {
            Truncated = true;
            return;
        }

        var bytes = Encoding.UTF8.GetByteCount(text);
        if (bytes <= room)
        {
            into.Append(text);
            _kept += bytes;
            return;
        }

        // Cut on a character boundary: at most room bytes of it.
        var chars = 0;
        var used = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (used + rune.Utf8SequenceLength > room)
            {
                break;
            }

            used += rune.Utf8SequenceLength;
            chars += rune.Utf16SequenceLength;
        }

        into.Append(text, 0, chars);
        _kept = maxOutputBytes;
        Truncated = true;
    }
}
