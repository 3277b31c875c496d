using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using OrleansGate.Edge.Http;
using OrleansGate.Policy.Masking;

namespace OrleansGate.Edge.Ssh;

/// <summary>
/// Writes a command's output to the agent as it comes, one JSON object per line (<c>application/x-ndjson</c>):
/// <c>{"stream":"stdout","data":"…"}</c>, <c>{"stream":"stderr","data":"…"}</c>, then one last line with how it ended.
/// The masks' detectors run on the output first, a whole line at a time, so a value is found however the host's writes
/// cut it (a line over <see cref="MaxPending"/> characters is scanned in parts), and a PEM block (BEGIN to END line) is
/// held back whole up to that size.
/// </summary>
/// <remarks>Not thread-safe: the runner hands output on one chunk at a time.</remarks>
public sealed class SshOutputWriter(HttpResponse response, ExecDetectors? detectors)
{
    /// <summary>Characters held back waiting for the end of their line.</summary>
    public const int MaxPending = 16 * 1024;

    private readonly Pending _stdout = new("stdout");
    private readonly Pending _stderr = new("stderr");
    private readonly List<DetectedSpan> _scratch = [];

    /// <summary>Detector finds replaced so far.</summary>
    public long ValuesMasked { get; private set; }

    public ValueTask WriteAsync(SshOutputStream stream, ReadOnlyMemory<byte> chunk)
    {
        var pending = stream == SshOutputStream.Stdout ? _stdout : _stderr;
        pending.Append(chunk.Span);
        var cut = pending.Text.Length > MaxPending ? pending.Text.Length : LastLineEnd(pending.Text) + 1;
        if (detectors is not null && cut > 0 && pending.Text.Length <= MaxPending)
        {
            // A PEM block's lines are one value: a key whose BEGIN line went out alone would have its body sent unmasked.
            cut = OpenBlockStart(pending.Text, cut);
        }

        return cut == 0 ? ValueTask.CompletedTask : new ValueTask(EmitAsync(pending, cut));
    }

    /// <summary>Writes what is held back (output without a last newline) and the closing line.</summary>
    public async Task EndAsync(Action<Utf8JsonWriter> ending)
    {
        ArgumentNullException.ThrowIfNull(ending);
        _stdout.Complete();
        _stderr.Complete();
        await EmitAsync(_stdout, _stdout.Text.Length).ConfigureAwait(false);
        await EmitAsync(_stderr, _stderr.Text.Length).ConfigureAwait(false);
        await WriteLineAsync(ending).ConfigureAwait(false);
    }

    /// <summary>One line of JSON, written and flushed.</summary>
    public async Task WriteLineAsync(Action<Utf8JsonWriter> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            write(json);
            json.WriteEndObject();
        }

        buffer.Write("\n"u8);
        await response.Body.WriteAsync(buffer.WrittenMemory, response.HttpContext.RequestAborted).ConfigureAwait(false);
        await response.Body.FlushAsync(response.HttpContext.RequestAborted).ConfigureAwait(false);
    }

    private async Task EmitAsync(Pending pending, int length)
    {
        if (length == 0)
        {
            return;
        }

        var text = pending.Text.ToString(0, length);
        pending.Text.Remove(0, length);
        if (detectors is not null)
        {
            text = detectors.Redact(text, _scratch, out var found);
            ValuesMasked += found;
        }

        await WriteLineAsync(json =>
        {
            json.WriteString("stream", pending.Name);
            json.WriteString("data", text);
        }).ConfigureAwait(false);
    }

    /// <summary>Where the last <c>-----BEGIN </c> before <paramref name="cut"/> starts when no <c>-----END </c> follows it there; else <paramref name="cut"/>.</summary>
    private static int OpenBlockStart(StringBuilder text, int cut)
    {
        var head = text.ToString(0, cut);
        var begin = head.LastIndexOf("-----BEGIN ", StringComparison.Ordinal);
        return begin >= 0 && head.IndexOf("-----END ", begin, StringComparison.Ordinal) < 0 ? begin : cut;
    }

    private static int LastLineEnd(StringBuilder text)
    {
        for (var i = text.Length - 1; i >= 0; i--)
        {
            if (text[i] == '\n')
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>One output's text not yet written; bytes that are not UTF-8 become U+FFFD (JSON carries text).</summary>
    private sealed class Pending(string name)
    {
        private readonly Decoder _decoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();

        public string Name { get; } = name;

        public StringBuilder Text { get; } = new();

        public void Append(ReadOnlySpan<byte> bytes)
        {
            var buffer = new char[_decoder.GetCharCount(bytes, flush: false)];
            var count = _decoder.GetChars(bytes, buffer, flush: false);
            Text.Append(buffer, 0, count);
        }

        public void Complete()
        {
            var buffer = new char[8];
            var count = _decoder.GetChars([], buffer, flush: true);
            Text.Append(buffer, 0, count);
        }
    }
}
