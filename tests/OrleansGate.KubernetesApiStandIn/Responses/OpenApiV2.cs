using System.Text;
using System.Text.Json.Nodes;

namespace OrleansGate.KubernetesApiStandIn.Responses;

/// <summary>
/// <c>/openapi/v2</c> with no paths and no definitions — the least that lets <c>kubectl apply</c> run with its
/// default <c>--validate=strict</c>. kubectl 1.32 downloads this document (as protobuf) before applying; on a
/// 404 it stops with "failed to download openapi". Given an empty one, it finds no <c>fieldValidation</c>
/// parameter, validates on the client against no schemas (so nothing is refused), and computes apply
/// patches from its built-in types. <c>/openapi/v3</c> stays 404: kubectl only logs that and falls back.
/// </summary>
internal static class OpenApiV2
{
    /// <summary>The Content-Type of the protobuf form. Clients ask with <c>…spec.v2@v1.0+protobuf</c>, but Go's
    /// media-type parser rejects the '@' in a response (as the real server knows: it answers with this one).</summary>
    public const string ProtobufMediaType = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

    private const string Title = "Kubernetes API stand-in";

    /// <summary>
    /// The gnostic <c>openapi.v2.Document</c> message, hand-encoded: field 1 <c>swagger</c> and field 2 <c>info</c>
    /// (itself fields 1 <c>title</c> and 2 <c>version</c>); each a tag byte (field number &lt;&lt; 3 | wire type 2,
    /// length-delimited), a one-byte length (all under 128 bytes), then the bytes.
    /// </summary>
    public static byte[] Protobuf()
    {
        var info = Concat(Field(1, Encoding.UTF8.GetBytes(Title)), Field(2, Encoding.UTF8.GetBytes(Discovery.GitVersion)));
        return Concat(Field(1, Encoding.UTF8.GetBytes("2.0")), Field(2, info));
    }

    public static JsonObject Json() => new()
    {
        ["swagger"] = "2.0",
        ["info"] = new JsonObject { ["title"] = Title, ["version"] = Discovery.GitVersion },
        ["paths"] = new JsonObject(),
        ["definitions"] = new JsonObject(),
    };

    private static byte[] Field(int number, byte[] value) => [(byte)((number << 3) | 2), (byte)value.Length, .. value];

    private static byte[] Concat(byte[] first, byte[] second) => [.. first, .. second];
}
