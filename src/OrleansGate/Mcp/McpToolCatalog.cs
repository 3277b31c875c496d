using System.Text.Json;
using ModelContextProtocol.Protocol;
using OrleansGate.Policy.Model;

namespace OrleansGate.Host.Mcp;

/// <summary>The tools and their input schemas; which of them a caller sees follows from what its policy could ever allow.</summary>
public static class McpToolCatalog
{
    public const string PostgresQuery = "postgres_query";
    public const string PostgresTargets = "postgres_targets";
    public const string KubernetesRequest = "kubernetes_request";
    public const string HttpRequest = "http_request";
    public const string SshExec = "ssh_exec";
    public const string ApprovalStatus = "approval_status";

    private static readonly Tool[] All =
    [
        Define(PostgresQuery, "Run one SQL text on a PostgreSQL target through the gateway, as this agent: decided by policy (a refusal names its rule), masked, audited. Returns {columns, rows, row_count, truncated}. A statement a rule holds for a human's approval waits (progress notifications) or is refused naming the approval (see approval_status).", """
            {"type":"object","properties":{
              "target":{"type":"string","description":"PostgreSQL target name (see postgres_targets)"},
              "sql":{"type":"string","description":"the SQL text"},
              "max_rows":{"type":"integer","minimum":1,"maximum":1000,"description":"rows returned at most (default 100)"}},
             "required":["target","sql"],"additionalProperties":false}
            """),
        Define(PostgresTargets, "List the PostgreSQL targets this agent's policy may allow (names only).", """
            {"type":"object","properties":{},"additionalProperties":false}
            """),
        Define(KubernetesRequest, "Send one Kubernetes API request to a kubernetes target through the gateway, as this agent: decided by policy (a refusal names its rule), Secret values masked, audited. Returns {status, content_type, body, truncated}.", """
            {"type":"object","properties":{
              "target":{"type":"string","description":"kubernetes target name"},
              "verb":{"type":"string","enum":["get","list","create","update","patch","delete","deletecollection"],"description":"Kubernetes verb, instead of method (the path names the resource)"},
              "method":{"type":"string","enum":["GET","HEAD","POST","PUT","PATCH","DELETE","OPTIONS"],"description":"HTTP method (default GET)"},
              "path":{"type":"string","description":"API path and query, e.g. /api/v1/namespaces/default/pods"},
              "body":{"description":"request body: a JSON value, or text"},
              "content_type":{"type":"string","description":"body type (default application/json; PATCH: application/merge-patch+json)"}},
             "required":["target","path"],"additionalProperties":false}
            """),
        Define(HttpRequest, "Send one request to a plain HTTP API target through the gateway, as this agent: decided by policy, audited. Returns {status, content_type, body, truncated}.", """
            {"type":"object","properties":{
              "target":{"type":"string","description":"http target name"},
              "method":{"type":"string","enum":["GET","HEAD","POST","PUT","PATCH","DELETE","OPTIONS"],"description":"HTTP method (default GET)"},
              "path":{"type":"string","description":"path and query relative to the target, e.g. /v1/invoices?limit=10"},
              "body":{"description":"request body: a JSON value, or text"},
              "content_type":{"type":"string","description":"body type (default application/json)"}},
             "required":["target","path"],"additionalProperties":false}
            """),
        Define(SshExec, "Run one command on an SSH target through the gateway, as this agent: decided by policy (a refusal names its rule), audited. Returns {exit_code, stdout, stderr, truncated, duration_ms}.", """
            {"type":"object","properties":{
              "target":{"type":"string","description":"SSH target name"},
              "command":{"type":"string","description":"the command line"},
              "timeout_seconds":{"type":"integer","minimum":1,"maximum":3600,"description":"the command's time limit (default 30)"}},
             "required":["target","command"],"additionalProperties":false}
            """),
        Define(ApprovalStatus, "The state of an approval this agent asked for (pending, approved, denied, expired, withdrawn), by its id (apr-…).", """
            {"type":"object","properties":{"approval_id":{"type":"string","description":"the approval id a refusal named"}},
             "required":["approval_id"],"additionalProperties":false}
            """),
    ];

    /// <summary>The names the caller may use under <paramref name="policy"/>; <see cref="ApprovalStatus"/> always.</summary>
    public static HashSet<string> Names(CompiledPolicy policy, PolicyIdentity identity)
    {
        var names = new HashSet<string>(StringComparer.Ordinal) { ApprovalStatus };
        if (McpPolicyView.MayEverAllow(policy, identity, RuleProtocol.Sql))
        {
            names.Add(PostgresQuery);
            names.Add(PostgresTargets);
        }

        if (McpPolicyView.MayEverAllow(policy, identity, RuleProtocol.Kubernetes))
        {
            names.Add(KubernetesRequest);
        }

        if (McpPolicyView.MayEverAllow(policy, identity, RuleProtocol.Http))
        {
            names.Add(HttpRequest);
        }

        if (McpPolicyView.MayEverAllow(policy, identity, RuleProtocol.Ssh))
        {
            names.Add(SshExec);
        }

        return names;
    }

    /// <summary>
    /// The first argument of <paramref name="arguments"/> that <paramref name="tool"/>'s input schema does not name, or
    /// null: a misspelt argument (<c>metod</c>) is refused, never read as absent.
    /// </summary>
    public static string? UnknownArgument(string tool, IEnumerable<string>? arguments)
    {
        var schema = All.FirstOrDefault(t => t.Name == tool)?.InputSchema;
        if (arguments is null || schema is not { } input || !input.TryGetProperty("properties", out var properties))
        {
            return null;
        }

        return arguments.FirstOrDefault(name => !properties.TryGetProperty(name, out _));
    }

    /// <summary>The names of <paramref name="tool"/>'s arguments, for messages.</summary>
    public static string ArgumentNames(string tool) =>
        All.FirstOrDefault(t => t.Name == tool)?.InputSchema is { } input && input.TryGetProperty("properties", out var properties)
            ? string.Join(", ", properties.EnumerateObject().Select(p => p.Name))
            : "";

    /// <summary>The tools named in <paramref name="names"/>, in catalog order.</summary>
    public static List<Tool> Tools(IReadOnlySet<string> names) => [.. All.Where(t => names.Contains(t.Name))];

    private static Tool Define(string name, string description, string schema)
    {
        using var document = JsonDocument.Parse(schema);
        return new Tool { Name = name, Description = description, InputSchema = document.RootElement.Clone() };
    }
}
