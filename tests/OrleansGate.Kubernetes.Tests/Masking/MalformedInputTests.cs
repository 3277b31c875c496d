using OrleansGate.Kubernetes.Masking;
using static OrleansGate.Kubernetes.Tests.Masking.MaskingHarness;

namespace OrleansGate.Kubernetes.Tests.Masking;

/// <summary>Broken or unexpected input ends the masking; an unmasked value is never written, whatever the chunking.</summary>
public sealed class MalformedInputTests
{
    private const string Secret = "c2VjcmV0";

    public static TheoryData<string, KubernetesMaskingError> Refused => new()
    {
        // Malformed: trailing comma, missing comma, bad literal, unterminated string, comment.
        { """{"kind":"Secret","data":{"k":"c2VjcmV0"},}""", KubernetesMaskingError.MalformedJson },
        { """{"kind":"Secret","data":{"k":"c2VjcmV0"} "type":"Opaque"}""", KubernetesMaskingError.MalformedJson },
        { """{"kind":"SecretList","items":[{"data":{"k":"c2VjcmV0"},"x":tru}]}""", KubernetesMaskingError.MalformedJson },
        { """{"kind":"SecretList","items":[{"data":{"k":"c2VjcmV0}}]}""", KubernetesMaskingError.MalformedJson },
        { """{"kind":"Secret",/* c */"data":{"k":"c2VjcmV0"}}""", KubernetesMaskingError.MalformedJson },
        // Truncated: inside a single object, inside a list item, inside a watch event.
        { """{"kind":"Secret","data":{"k":"c2VjcmV0""", KubernetesMaskingError.MalformedJson },
        { """{"kind":"SecretList","items":[{"data":{"k":"c2VjcmV0"}""", KubernetesMaskingError.MalformedJson },
        { """{"kind":"SecretList","items":[{"data":{"k":"c2VjcmV0"}}""", KubernetesMaskingError.MalformedJson },
        { """{"type":"ADDED","object":{"kind":"Secret","data":{"k":"c2VjcmV0"}""", KubernetesMaskingError.MalformedJson },
        // Protobuf (the gateway asks for JSON; a body that is not JSON is refused, not passed).
        { "k8s\0\n\u0002v1\u0012\u0006Secret\u001a\u0008c2VjcmV0", KubernetesMaskingError.MalformedJson },
        // Not an object, or items that are not objects.
        { """[{"kind":"Secret","data":{"k":"c2VjcmV0"}}]""", KubernetesMaskingError.UnmaskableShape },
        { """{"kind":"SecretList","items":["c2VjcmV0"]}""", KubernetesMaskingError.UnmaskableShape },
        { """{"type":"ADDED","object":{"kind":"Status"},"data":{"k":"c2VjcmV0"}}""", KubernetesMaskingError.UnmaskableShape },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task Broken_input_is_refused_and_no_unmasked_value_is_written_at_any_split(string json, KubernetesMaskingError error)
    {
        foreach (var splits in EverySplit(json.Length).Prepend([]))
        {
            var run = (await MaskAsync(json, splitPoints: splits)).Failed(error);

            Assert.DoesNotContain(Secret, run.Output);
        }
    }

    [Fact]
    public async Task Malformed_item_after_a_good_one_leaves_only_the_envelope_and_the_masked_item_written()
    {
        const string list = """{"kind":"SecretList","items":[{"data":{"k":"c2VjcmV0"}},{"data":{"k":"c2VjcmV0"}"x":1}]}""";

        var run = (await MaskAsync(list)).Failed(KubernetesMaskingError.MalformedJson);

        Assert.Equal("""{"kind":"SecretList","items":[{"data":{"k":""" + MaskedData + "}}", run.Output);
        Assert.Equal(new KubernetesMaskResult(0, 0), run.Result);
    }

    [Fact]
    public async Task Truncated_watch_stream_keeps_the_complete_events_and_drops_the_partial_one()
    {
        const string complete = """{"type":"ADDED","object":{"kind":"Secret","data":{"k":"Zmlyc3Q="}}}""";
        const string stream = complete + "\n" + """{"type":"MODIFIED","object":{"kind":"Secret","data":{"k":"c2VjcmV0"}""";

        var run = (await MaskAsync(stream)).Failed(KubernetesMaskingError.MalformedJson);

        // The newline between the events may or may not be written; the second event's bytes never are.
        Assert.Equal(complete.Replace("\"Zmlyc3Q=\"", MaskedData), run.Output.TrimEnd('\n'));
    }

    [Fact]
    public async Task Empty_body_writes_nothing_and_counts_nothing()
    {
        var run = (await MaskAsync("")).Succeeded();

        Assert.Equal("", run.Output);
        Assert.Equal(default, run.Result);
    }
}
