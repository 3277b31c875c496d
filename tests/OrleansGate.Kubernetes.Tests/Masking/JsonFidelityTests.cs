using System.Text;
using OrleansGate.Kubernetes.Masking;
using static OrleansGate.Kubernetes.Tests.Masking.MaskingHarness;

namespace OrleansGate.Kubernetes.Tests.Masking;

/// <summary>Everything but the masked values is written exactly as received.</summary>
public sealed class JsonFidelityTests
{
    // Pretty-printed as kubectl -o json writes it, with numbers no double holds, escapes, nested arrays and non-ASCII text.
    private const string Object = """
        {
            "kind": "Secret",
            "apiVersion": "v1",
            "metadata": {
                "name": "caf\u00e9-\ud83d\ude00",
                "labels": { "quote": "\"q\" \\ \/ \b\f\n\r\t", "raw": "日本語 ünïcødé" },
                "generation": 123456789012345678901234567890123,
                "huge": 1e400,
                "tiny": -0.0E-7,
                "zero": -0,
                "nested": [[1, [2, [3, []]]], {}, [{"a": [null, true, false]}]]
            },
            "data": {
                "password": "c2VjcmV0",
                "\u0070in": "MTIzNA=="
            },
            "type": "Opaque"
        }
        """;

    [Fact]
    public async Task Numbers_escapes_unicode_nested_arrays_and_white_space_are_written_byte_for_byte()
    {
        foreach (var splits in new[] { Array.Empty<int>(), [.. Enumerable.Range(1, 400).Select(i => i * 2)] })
        {
            var run = (await MaskAsync(Object, splitPoints: splits)).Succeeded();

            var expected = Object.Replace("\"c2VjcmV0\"", MaskedData).Replace("\"MTIzNA==\"", MaskedData);
            Assert.Equal(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(run.Output));
            Assert.Equal(2, run.Result.ValuesMasked);
        }
    }

    [Fact]
    public async Task Unmasked_list_is_written_byte_for_byte()
    {
        var list = $$"""{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"continue":"eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ","remainingItemCount":12345678901234567890},"items":[{{Object.Replace("Secret", "ConfigMap")}}]}""";

        var run = (await MaskAsync(list, KubernetesMaskRules.Default, splitPoints: [7, 77, 777])).Succeeded();

        Assert.Equal(list, run.Output);
    }
}
