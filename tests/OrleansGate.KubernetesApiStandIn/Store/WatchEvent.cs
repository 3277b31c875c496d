using System.Text.Json.Nodes;

namespace OrleansGate.KubernetesApiStandIn.Store;

/// <summary>One line of a watch stream: <c>{"type":"ADDED","object":{…}}</c>.</summary>
/// <param name="Type"><c>ADDED</c>, <c>MODIFIED</c>, <c>DELETED</c> or <c>ERROR</c> (then the object is a Status).</param>
internal sealed record WatchEvent(string Type, JsonObject Object)
{
    public const string Added = "ADDED";
    public const string Modified = "MODIFIED";
    public const string Deleted = "DELETED";
    public const string Error = "ERROR";
}
