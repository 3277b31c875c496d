using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using OrleansGate.Kubernetes.Masking;
using static OrleansGate.Kubernetes.Tests.Masking.MaskingHarness;

namespace OrleansGate.Kubernetes.Tests.Masking;

/// <summary>Memory is bounded by one object: a list streams, an object over the cap is refused, never passed.</summary>
public sealed class StreamingBoundTests
{
    private const int ItemCount = 20_000;

    private static string Item(int i) =>
        $$"""{"metadata":{"name":"s{{i}}","namespace":"prod","uid":"{{i:x8}}"},"data":{"k":"dmFsdWUt{{i:D8}}"},"type":"Opaque"}""";

    [Fact]
    public async Task Large_list_reaches_the_destination_before_the_source_is_complete_through_small_pipes()
    {
        // 64 KiB pipes on both sides: a masker that held the 3 MB list would stall the writer and time out.
        var small = new PipeOptions(pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 32 * 1024);
        var source = new Pipe(small);
        var destination = new Pipe(small);
        var masking = new KubernetesResponseMasker(maxObjectBytes: 4096).MaskAsync(source.Reader, destination.Writer, KubernetesMaskRules.Default);
        var output = new StringBuilder();
        const string firstMasked = "\"data\":{\"k\":" + MaskedData + "},\"type\":\"Opaque\"},{\"metadata\":{\"name\":\"s1\"";

        await source.Writer.WriteAsync(Encoding.UTF8.GetBytes("""{"kind":"SecretList","apiVersion":"v1","metadata":{"resourceVersion":"5"},"items":["""));
        for (var i = 0; i < 100; i++)
        {
            await source.Writer.WriteAsync(Encoding.UTF8.GetBytes((i == 0 ? "" : ",") + Item(i)));
        }

        await ReadUntilAsync(destination.Reader, output, firstMasked);
        var draining = ReadRestAsync(destination.Reader, output);
        for (var i = 100; i < ItemCount; i++)
        {
            await source.Writer.WriteAsync(Encoding.UTF8.GetBytes("," + Item(i))).AsTask().WaitAsync(Patience);
        }

        await source.Writer.WriteAsync(Encoding.UTF8.GetBytes("]}"));
        await source.Writer.CompleteAsync();
        var result = await masking.WaitAsync(Patience);
        await destination.Writer.CompleteAsync();
        await draining.WaitAsync(Patience);

        Assert.Equal(new KubernetesMaskResult(ItemCount, ItemCount), result);
        var text = output.ToString();
        Assert.DoesNotContain("dmFsdWUt", text);
        Assert.Equal(ItemCount, text.Split(MaskedData).Length - 1);
        Assert.EndsWith("\"name\":\"s19999\",\"namespace\":\"prod\",\"uid\":\"00004e1f\"},\"data\":{\"k\":" + MaskedData + "},\"type\":\"Opaque\"}]}", text);
    }

    [Fact]
    public async Task Over_cap_secret_is_refused_and_its_value_is_never_written()
    {
        var value = new string('A', 2048);
        var secret = $$$"""{"kind":"Secret","apiVersion":"v1","metadata":{"name":"big"},"data":{"k":"{{{value}}}"}}""";

        foreach (var splits in new[] { Array.Empty<int>(), [100], [.. Enumerable.Range(1, 30).Select(i => i * 70)] })
        {
            var run = (await MaskAsync(secret, splitPoints: splits, maxObjectBytes: 1024)).Failed(KubernetesMaskingError.ObjectTooLarge);

            Assert.Equal("", run.Output);
        }
    }

    [Fact]
    public async Task Over_cap_list_item_is_refused_after_the_items_before_it_are_written()
    {
        var list =
            $$$"""{"kind":"SecretList","apiVersion":"v1","items":[{"data":{"k":"c21hbGw="}},{"data":{"k":"{{{new string('B', 4096)}}}"}}]}""";

        var run = (await MaskAsync(list, splitPoints: [300, 2000], maxObjectBytes: 1024)).Failed(KubernetesMaskingError.ObjectTooLarge);

        Assert.StartsWith("""{"kind":"SecretList","apiVersion":"v1","items":[{"data":{"k":""" + MaskedData + "}}", run.Output);
        Assert.DoesNotContain("BBBB", run.Output);
        Assert.DoesNotContain("c21hbGw=", run.Output);
    }

    [Fact]
    public async Task Object_of_exactly_the_cap_passes_and_one_byte_more_is_refused_at_every_split()
    {
        const string secret = """{"kind":"Secret","data":{"k":"c2VjcmV0"}}""";
        var list = $$"""{"kind":"List","items":[{{secret}}]}""";
        var cap = Encoding.UTF8.GetByteCount(secret);

        foreach (var splits in EverySplit(list.Length))
        {
            (await MaskAsync(list, splitPoints: splits, maxObjectBytes: cap)).Succeeded();
            var refused = (await MaskAsync(list, splitPoints: splits, maxObjectBytes: cap - 1)).Failed(KubernetesMaskingError.ObjectTooLarge);
            Assert.DoesNotContain("c2VjcmV0", refused.Output);
        }
    }

    private static async Task ReadRestAsync(PipeReader reader, StringBuilder output)
    {
        while (true)
        {
            var read = await reader.ReadAsync();
            output.Append(Encoding.UTF8.GetString(read.Buffer.ToArray()));
            reader.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted)
            {
                return;
            }
        }
    }
}
