using System.IO.Pipelines;
using System.Text;
using OrleansGate.Kubernetes.Masking;
using static OrleansGate.Kubernetes.Tests.Masking.MaskingHarness;

namespace OrleansGate.Kubernetes.Tests.Masking;

/// <summary>A watch: newline-delimited <c>{"type":…,"object":{…}}</c> events, endless in principle.</summary>
public sealed class WatchMaskingTests
{
    private const string Added =
        """{"type":"ADDED","object":{"kind":"Secret","apiVersion":"v1","metadata":{"name":"a","resourceVersion":"1"},"data":{"k":"c2VjcmV0"}}}""";

    private const string Modified =
        """{"type":"MODIFIED","object":{"kind":"Secret","apiVersion":"v1","metadata":{"name":"a","resourceVersion":"2"},"data":{"k":"bmV3"}}}""";

    private const string Bookmark =
        """{"type":"BOOKMARK","object":{"kind":"Secret","apiVersion":"v1","metadata":{"resourceVersion":"3","annotations":{"k8s.io/initial-events-end":"true"}}}}""";

    private static string Masked(string json) => json.Replace("\"c2VjcmV0\"", MaskedData).Replace("\"bmV3\"", MaskedData);

    [Fact]
    public async Task Watch_stream_split_at_every_byte_is_masked_the_same()
    {
        var stream = $"{Added}\n{Modified}\n{Bookmark}\n";
        var expected = Masked(stream);

        foreach (var splits in EverySplit(Encoding.UTF8.GetByteCount(stream)))
        {
            var run = (await MaskAsync(stream, splitPoints: splits)).Succeeded();

            Assert.Equal(expected, run.Output);
            Assert.Equal(new KubernetesMaskResult(3, 2), run.Result);
        }
    }

    [Fact]
    public async Task Each_watch_event_is_written_and_flushed_before_the_next_arrives()
    {
        var source = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        var destination = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        var masking = new KubernetesResponseMasker().MaskAsync(source.Reader, destination.Writer, KubernetesMaskRules.Default);
        var received = new StringBuilder();

        foreach (var watchEvent in new[] { Added, Modified, Bookmark })
        {
            // Half an event first: nothing of it may be needed to release the previous one.
            var half = watchEvent.Length / 2;
            await source.Writer.WriteAsync(Encoding.UTF8.GetBytes(watchEvent[..half]));
            await source.Writer.WriteAsync(Encoding.UTF8.GetBytes(watchEvent[half..] + "\n"));

            // The source is still open: the event must reach the destination on its own.
            var seen = await ReadUntilAsync(destination.Reader, received, Masked(watchEvent));

            Assert.Contains(Masked(watchEvent), seen, StringComparison.Ordinal);
        }

        await source.Writer.CompleteAsync();
        var result = await masking.WaitAsync(Patience);
        await destination.Writer.CompleteAsync();

        Assert.Equal(Masked($"{Added}\n{Modified}\n{Bookmark}") + "\n", received + await ReadToEndAsync(destination.Reader));
        Assert.Equal(new KubernetesMaskResult(3, 2), result);
    }

    [Fact]
    public async Task Watch_error_event_with_a_status_passes_unchanged()
    {
        const string error =
            """{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 (5)","reason":"Expired","code":410}}""";
        var stream = $"{Added}\n{error}\n";

        var run = (await MaskAsync(stream)).Succeeded();

        Assert.Equal(Masked(Added) + "\n" + error + "\n", run.Output);
    }

    [Fact]
    public async Task Watch_event_with_object_before_type_is_masked()
    {
        const string sorted = """{"object":{"apiVersion":"v1","data":{"k":"c2VjcmV0"},"kind":"Secret"},"type":"DELETED"}""";

        var run = (await MaskAsync(sorted + "\r\n" + sorted)).Succeeded();

        Assert.Equal(Masked(sorted) + "\r\n" + Masked(sorted), run.Output);
    }

    [Fact]
    public async Task Watch_event_with_an_unexpected_property_before_its_object_is_held_whole_and_masked()
    {
        const string odd = """{"type":"ADDED","extra":{"data":{"k":"c2VjcmV0"}},"object":{"kind":"Secret","data":{"k":"c2VjcmV0"}}}""";

        var run = (await MaskAsync(odd)).Succeeded();

        Assert.Equal(odd.Replace("""{"kind":"Secret","data":{"k":"c2VjcmV0"}}""", """{"kind":"Secret","data":{"k":""" + MaskedData + "}}"), run.Output);
    }
}
