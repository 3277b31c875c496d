using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using OrleansGate.Kubernetes.Masking;

namespace OrleansGate.Kubernetes.Tests.Masking;

internal static class MaskingHarness
{
    /// <summary>What a masked Secret <c>data</c> value becomes, as a JSON token.</summary>
    public const string MaskedData = "\"" + MaskPlaceholder.Base64 + "\"";

    /// <summary>What any other masked value becomes, as a JSON token.</summary>
    public const string MaskedText = "\"" + MaskPlaceholder.Text + "\"";

    /// <summary>Waits on pipe reads that should complete at once; only a broken masker ever reaches it.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    public static async Task<MaskRun> MaskAsync(
        string json,
        KubernetesMaskRules? rules = null,
        IEnumerable<int>? splitPoints = null,
        int maxObjectBytes = KubernetesResponseMasker.DefaultMaxObjectBytes)
    {
        var source = new ChunkedPipeReader(Encoding.UTF8.GetBytes(json), splitPoints ?? []);
        var destination = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        KubernetesMaskResult result = default;
        KubernetesMaskingException? failure = null;
        try
        {
            result = await new KubernetesResponseMasker(maxObjectBytes).MaskAsync(source, destination.Writer, rules ?? KubernetesMaskRules.Default);
        }
        catch (KubernetesMaskingException e)
        {
            failure = e;
        }

        // Completing commits unflushed bytes too: the output is everything the masker ever wrote.
        await destination.Writer.CompleteAsync();
        return new(await ReadToEndAsync(destination.Reader), result, failure);
    }

    public static async Task<string> ReadToEndAsync(PipeReader reader)
    {
        var output = new List<byte>();
        while (true)
        {
            var read = await reader.ReadAsync().AsTask().WaitAsync(Patience);
            output.AddRange(read.Buffer.ToArray());
            reader.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted)
            {
                return Encoding.UTF8.GetString([.. output]);
            }
        }
    }

    /// <summary>Reads <paramref name="reader"/> until what it has given contains <paramref name="expected"/>.</summary>
    public static async Task<string> ReadUntilAsync(PipeReader reader, StringBuilder received, string expected)
    {
        while (!received.ToString().Contains(expected, StringComparison.Ordinal))
        {
            var read = await reader.ReadAsync().AsTask().WaitAsync(Patience);
            received.Append(Encoding.UTF8.GetString(read.Buffer.ToArray()));
            reader.AdvanceTo(read.Buffer.End);
            Assert.False(read.IsCompleted && !received.ToString().Contains(expected, StringComparison.Ordinal), $"the destination ended without {expected}");
        }

        return received.ToString();
    }

    /// <summary>Every split point of <paramref name="length"/> bytes, one per run, plus one byte per chunk.</summary>
    public static IEnumerable<int[]> EverySplit(int length) =>
        Enumerable.Range(1, length - 1).Select(i => new[] { i }).Append([.. Enumerable.Range(1, length - 1)]);
}
