using System.Globalization;
using System.Text.Json.Nodes;
using OrleansGate.KubernetesApiStandIn.Store;

namespace OrleansGate.KubernetesApiStandIn.Responses;

/// <summary>
/// Server-side printing: objects as a <c>meta.k8s.io Table</c>, the columns kubectl prints for each kind.
/// </summary>
/// <remarks>
/// Shape, for the gateway's masking: <c>{"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{"resourceVersion"},
/// "columnDefinitions":[{name,type,format,description,priority}],"rows":[{"cells":[…],"object":{…}}]}</c>.
/// A Secret's cells are Name, Type, Data (a count, never values). Its <c>rows[].object</c> is what
/// <c>includeObject</c> asks for: <c>PartialObjectMetadata</c> by default (metadata only — but the annotations,
/// <c>kubectl.kubernetes.io/last-applied-configuration</c> among them, can hold the values in clear),
/// <c>Object</c> the whole Secret with its base64 <c>data</c> (kubectl asks for it with <c>--sort-by</c>), or
/// <c>None</c> no object. In a Table watch every event's object is a one-row Table, and only the first carries
/// the column definitions, as the real server does.
/// </remarks>
internal sealed class TableConverter(TimeProvider time)
{
    public JsonObject ToTable(
        StandInResource resource, IEnumerable<JsonObject> items, string resourceVersion, ResponseFormat format,
        string? includeObject, bool withColumns = true)
    {
        var columns = Columns(resource);
        var rows = new JsonArray();
        foreach (var item in items)
        {
            var row = new JsonObject { ["cells"] = new JsonArray(Cells(resource, item).ToArray()) };
            var embedded = RowObject(item, format, includeObject);
            if (embedded is not null)
            {
                row["object"] = embedded;
            }

            rows.Add(row);
        }

        var table = new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = format.TableApiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion },
        };
        if (withColumns)
        {
            table["columnDefinitions"] = new JsonArray(columns.Select(c => (JsonNode)c.ToJson()).ToArray());
        }

        table["rows"] = rows;
        return table;
    }

    private static JsonObject? RowObject(JsonObject item, ResponseFormat format, string? includeObject) =>
        includeObject switch
        {
            "None" => null,
            "Object" => (JsonObject)item.DeepClone(),
            _ => new JsonObject
            {
                ["kind"] = "PartialObjectMetadata",
                ["apiVersion"] = format.TableApiVersion,
                ["metadata"] = item["metadata"]?.DeepClone(),
            },
        };

    private static Column[] Columns(StandInResource resource) => resource.Plural switch
    {
        "pods" => [Column.NameColumn, new("Ready", "string"), new("Status", "string"), new("Restarts", "integer"), Column.AgeColumn,
            new("IP", "string", Priority: 1), new("Node", "string", Priority: 1)],
        "secrets" => [Column.NameColumn, new("Type", "string"), new("Data", "integer"), Column.AgeColumn],
        "configmaps" => [Column.NameColumn, new("Data", "integer"), Column.AgeColumn],
        "deployments" => [Column.NameColumn, new("Ready", "string"), new("Up-to-date", "integer"), new("Available", "integer"), Column.AgeColumn],
        "namespaces" => [Column.NameColumn, new("Status", "string"), Column.AgeColumn],
        "services" => [Column.NameColumn, new("Type", "string"), new("Cluster-IP", "string"), new("External-IP", "string"), new("Port(s)", "string"), Column.AgeColumn],
        _ => [Column.NameColumn, Column.AgeColumn],
    };

    private IEnumerable<JsonNode?> Cells(StandInResource resource, JsonObject o)
    {
        yield return ObjectMetadata.Name(o);
        switch (resource.Plural)
        {
            case "pods":
                var statuses = o["status"]?["containerStatuses"] as JsonArray ?? [];
                var total = (o["spec"]?["containers"] as JsonArray)?.Count ?? 0;
                yield return $"{statuses.Count(s => JsonValues.IsTrue(s?["ready"]))}/{total}";
                yield return Text(o["status"]?["phase"]) ?? "Unknown";
                yield return statuses.Sum(s => JsonValues.Integer(s?["restartCount"]) ?? 0);
                yield return Age(o);
                yield return Text(o["status"]?["podIP"]) ?? "<none>";
                yield return Text(o["spec"]?["nodeName"]) ?? "<none>";
                yield break;
            case "secrets":
                yield return Text(o["type"]) ?? "Opaque";
                yield return (o["data"] as JsonObject)?.Count ?? 0;
                break;
            case "configmaps":
                yield return ((o["data"] as JsonObject)?.Count ?? 0) + ((o["binaryData"] as JsonObject)?.Count ?? 0);
                break;
            case "deployments":
                var desired = JsonValues.Integer(o["spec"]?["replicas"]) ?? 1;
                yield return $"{JsonValues.Integer(o["status"]?["readyReplicas"]) ?? 0}/{desired}";
                yield return JsonValues.Integer(o["status"]?["updatedReplicas"]) ?? 0;
                yield return JsonValues.Integer(o["status"]?["availableReplicas"]) ?? 0;
                break;
            case "namespaces":
                yield return Text(o["status"]?["phase"]) ?? "Active";
                break;
            case "services":
                yield return Text(o["spec"]?["type"]) ?? "ClusterIP";
                yield return Text(o["spec"]?["clusterIP"]) ?? "<none>";
                yield return "<none>";
                var ports = (o["spec"]?["ports"] as JsonArray ?? [])
                    .Select(p => $"{p?["port"]}/{Text(p?["protocol"]) ?? "TCP"}").ToList();
                yield return ports.Count == 0 ? "<none>" : string.Join(',', ports);
                break;
        }

        yield return Age(o);
    }

    private static string? Text(JsonNode? node) => node is JsonValue v ? v.ToString() : null;

    /// <summary>Age as kubectl shows it (<c>42s</c>, <c>5m</c>, <c>3h</c>, <c>2d</c>), from the stand-in's clock.</summary>
    private string Age(JsonObject o)
    {
        if (!DateTimeOffset.TryParse(Text(o["metadata"]?["creationTimestamp"]), CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal, out var created))
        {
            return "<unknown>";
        }

        var age = time.GetUtcNow() - created;
        return age switch
        {
            { TotalSeconds: < 0 } => "0s",
            { TotalMinutes: < 2 } => $"{(int)age.TotalSeconds}s",
            { TotalHours: < 2 } => $"{(int)age.TotalMinutes}m",
            { TotalDays: < 2 } => $"{(int)age.TotalHours}h",
            _ => $"{(int)age.TotalDays}d",
        };
    }

    private sealed record Column(string Name, string Type, string Format = "", int Priority = 0)
    {
        public static Column NameColumn { get; } = new("Name", "string", "name");

        public static Column AgeColumn { get; } = new("Age", "string");

        public JsonObject ToJson() => new()
        {
            ["name"] = Name,
            ["type"] = Type,
            ["format"] = Format,
            ["description"] = "",
            ["priority"] = Priority,
        };
    }
}
