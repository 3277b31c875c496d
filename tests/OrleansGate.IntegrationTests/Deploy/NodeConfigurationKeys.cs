using System.Reflection;
using OrleansGate.Audit;
using OrleansGate.Edge.Identity;
using OrleansGate.Edge.Postgres;
using OrleansGate.Edge.Targets;
using OrleansGate.Grains.Policy;
using OrleansGate.Host.Hosting;

namespace OrleansGate.IntegrationTests.Deploy;

/// <summary>
/// Whether a configuration key (<c>OrleansGate:Cluster:Kubernetes</c>) is one the node reads: walks the options classes
/// the sections are bound to, so a key renamed in the code, or misspelt in a manifest, is reported.
/// </summary>
public static class NodeConfigurationKeys
{
    /// <summary>Telemetry has no options class: GatewayHost reads its one key directly.</summary>
    private sealed class TelemetrySection
    {
        public string? OtlpEndpoint { get; set; }
    }

    /// <summary>The sections of <c>OrleansGate</c> that deploy/kubernetes sets, and what each is bound to (GatewayHost).</summary>
    private static readonly Dictionary<string, Type> Sections = new(StringComparer.OrdinalIgnoreCase)
    {
        ["StateDatabase"] = typeof(string),
        ["NodeName"] = typeof(string),
        ["Cluster"] = typeof(GatewayClusterOptions),
        ["Http"] = typeof(HttpListenerOptions),
        ["Postgres"] = typeof(PostgresListenerOptions),
        ["Policy"] = typeof(PolicyOptions),
        ["Audit"] = typeof(AuditOptions),
        ["Identity"] = typeof(IdentityOptions),
        ["Targets"] = typeof(Dictionary<string, TargetOptions>),
        ["Telemetry"] = typeof(TelemetrySection),
    };

    /// <summary>The key as the configuration names it, from an environment variable <c>ORLEANSGATE__A__B</c>.</summary>
    public static string FromEnvironmentVariable(string name) =>
        name["ORLEANSGATE__".Length..].Replace("__", ":", StringComparison.Ordinal);

    /// <summary>Null when the node reads <paramref name="key"/>; otherwise why not.</summary>
    public static string? Problem(string key)
    {
        var parts = key.Split(':');
        if (parts.Length < 2 || parts[0] != GatewayHost.Section)
        {
            return $"{key}: not under the {GatewayHost.Section} section";
        }

        if (!Sections.TryGetValue(parts[1], out var type))
        {
            return $"{key}: the node reads no section {parts[1]}";
        }

        for (var i = 2; i < parts.Length; i++)
        {
            var part = parts[i];
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>))
            {
                type = type.GetGenericArguments()[1];
            }
            else if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
            {
                if (!int.TryParse(part, out _))
                {
                    return $"{key}: '{part}' is not a list index";
                }

                type = type.GetGenericArguments()[0];
            }
            else if (IsScalar(type))
            {
                return $"{key}: {string.Join(':', parts[..i])} is a value, not a section";
            }
            else
            {
                var property = type.GetProperty(part, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
                if (property is null || property.SetMethod is not { IsPublic: true })
                {
                    return $"{key}: {type.Name} has no settable property {part}";
                }

                type = property.PropertyType;
            }
        }

        return IsScalar(type) ? null : $"{key}: names a section ({type.Name}), not a value";
    }

    private static bool IsScalar(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(TimeSpan) || type == typeof(decimal) || type == typeof(Uri);
    }
}
