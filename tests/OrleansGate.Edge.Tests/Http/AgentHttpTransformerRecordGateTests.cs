using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using OrleansGate.Edge.Http;
using OrleansGate.Kubernetes.Masking;

namespace OrleansGate.Edge.Tests.Http;

/// <summary>
/// A read forwarded before its record is durable: the target's answer waits in <see cref="AgentHttpTransformer.BeforeAnswer"/>
/// until the record is written, and is withheld (503) when it could not be.
/// </summary>
public sealed class AgentHttpTransformerRecordGateTests
{
    private const string Pod = """{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-1","namespace":"default"}}""";

    [Fact]
    public async Task The_answer_waits_for_the_record_and_nothing_of_it_is_written_before()
    {
        var record = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var (context, transformer) = Context(_ => new ValueTask<string?>(record.Task));
        using var response = Answer();

        var answering = transformer.TransformResponseAsync(context, response, CancellationToken.None).AsTask();

        Assert.False(answering.IsCompleted);
        Assert.Equal(0, context.Response.Body.Length);
        Assert.Empty(context.Response.Headers); // not even the target's headers
        record.SetResult(null);
        await answering;
        await context.Response.BodyWriter.FlushAsync();
        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
        Assert.Equal(Pod, Body(context));
        Assert.Null(transformer.Withheld);
    }

    [Fact]
    public async Task An_answer_whose_record_could_not_be_written_is_withheld_with_503_naming_why()
    {
        var (context, transformer) = Context(_ => new ValueTask<string?>("audit store unavailable: connection refused"));
        using var response = Answer();

        var passOn = await transformer.TransformResponseAsync(context, response, CancellationToken.None);
        await context.Response.BodyWriter.FlushAsync();

        Assert.False(passOn); // the forwarder copies nothing of the target's body
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, context.Response.StatusCode);
        var body = Body(context);
        Assert.Contains("\"kind\":\"Status\"", body, StringComparison.Ordinal);
        Assert.Contains("refused by the gateway: audit store unavailable: connection refused", body, StringComparison.Ordinal);
        Assert.DoesNotContain("web-1", body, StringComparison.Ordinal);
        Assert.False(context.Response.Headers.ContainsKey("X-From-Target"));
        Assert.Equal("audit store unavailable: connection refused", transformer.Withheld);
    }

    private static HttpResponseMessage Answer()
    {
        var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(Pod, Encoding.UTF8, "application/json") };
        response.Headers.Add("X-From-Target", "yes");
        return response;
    }

    private static (HttpContext Context, AgentHttpTransformer Transformer) Context(Func<CancellationToken, ValueTask<string?>> beforeAnswer)
    {
        var context = new DefaultHttpContext();
        context.Response.Body = new MemoryStream();
        var transformer = new AgentHttpTransformer(new Uri("https://kube.test/api/v1/namespaces/default/pods/web-1"), "gateway-token", KubernetesMaskRules.Default, new KubernetesResponseMasker(), null)
        {
            BeforeAnswer = beforeAnswer,
        };
        return (context, transformer);
    }

    private static string Body(HttpContext context) => Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray());
}
