using System.Globalization;
using System.Text.Json.Nodes;

namespace OrleansGate.KubernetesApiStandIn.Store;

/// <summary>Reading numbers and booleans from nodes whatever made them: a parsed body holds JsonElements, the
/// stand-in's own writes hold ints, and <c>GetValue&lt;long&gt;</c> refuses an int.</summary>
internal static class JsonValues
{
    public static long? Integer(JsonNode? node) =>
        node is JsonValue value && long.TryParse(value.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            ? n
            : null;

    public static bool IsTrue(JsonNode? node) => node is JsonValue value && value.ToJsonString() == "true";
}
