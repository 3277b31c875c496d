using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace OrleansGate.KubernetesApiStandIn.Store;

/// <summary>The metadata the server owns on create and update: name, namespace, uid, creation time, generation.
/// The resourceVersion is the store's to set, at commit.</summary>
internal static class ObjectMetadata
{
    public static JsonObject ForCreate(StandInResource resource, string? ns, JsonObject body, DateTimeOffset now)
    {
        CheckTypeFields(resource, body);
        var metadata = body["metadata"] as JsonObject ?? new JsonObject();
        body["metadata"] = metadata;

        var name = metadata["name"]?.GetValue<string>();
        if (string.IsNullOrEmpty(name))
        {
            var prefix = metadata["generateName"]?.GetValue<string>();
            if (string.IsNullOrEmpty(prefix))
            {
                throw new ApiStatusException(ApiStatus.Invalid(resource, "", "metadata.name: Required value: name or generateName is required"));
            }

            name = prefix + RandomSuffix();
            metadata["name"] = name;
        }

        if (resource.Namespaced)
        {
            var own = metadata["namespace"]?.GetValue<string>();
            if (!string.IsNullOrEmpty(own) && own != ns)
            {
                throw new ApiStatusException(ApiStatus.BadRequest("the namespace of the provided object does not match the namespace sent on the request"));
            }

            metadata["namespace"] = ns;
        }
        else
        {
            metadata.Remove("namespace");
        }

        metadata.Remove("resourceVersion");
        metadata["uid"] = Guid.NewGuid().ToString();
        metadata["creationTimestamp"] = Timestamp(now);
        metadata["generation"] = 1;
        return body;
    }

    public static void ForUpdate(StandInResource resource, string name, JsonObject current, JsonObject updated)
    {
        CheckTypeFields(resource, updated);
        var metadata = updated["metadata"] as JsonObject ?? new JsonObject();
        updated["metadata"] = metadata;
        var before = (JsonObject)current["metadata"]!;

        var given = metadata["name"]?.GetValue<string>();
        if (!string.IsNullOrEmpty(given) && given != name)
        {
            throw new ApiStatusException(ApiStatus.BadRequest("the name of the object does not match the name on the URL"));
        }

        // An update that names a resourceVersion must name the current one (optimistic concurrency);
        // one that names none overwrites, as kubectl replace --force and patches do.
        var version = metadata["resourceVersion"]?.GetValue<string>();
        if (!string.IsNullOrEmpty(version) && version != before["resourceVersion"]?.GetValue<string>())
        {
            throw new ApiStatusException(ApiStatus.Conflict(resource, name));
        }

        metadata["name"] = name;
        foreach (var owned in new[] { "namespace", "uid", "creationTimestamp" })
        {
            if (before[owned] is { } kept)
            {
                metadata[owned] = kept.DeepClone();
            }
            else
            {
                metadata.Remove(owned);
            }
        }

        var generation = JsonValues.Integer(before["generation"]) ?? 1;
        var specChanged = !JsonNode.DeepEquals(current["spec"], updated["spec"]);
        metadata["generation"] = specChanged ? generation + 1 : generation;
    }

    public static string Timestamp(DateTimeOffset at) =>
        at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string? Name(JsonObject obj) => obj["metadata"]?["name"]?.GetValue<string>();

    public static string? Namespace(JsonObject obj) => obj["metadata"]?["namespace"]?.GetValue<string>();

    private static void CheckTypeFields(StandInResource resource, JsonObject body)
    {
        var kind = body["kind"]?.GetValue<string>();
        var apiVersion = body["apiVersion"]?.GetValue<string>();
        if ((!string.IsNullOrEmpty(kind) && kind != resource.Kind)
            || (!string.IsNullOrEmpty(apiVersion) && apiVersion != resource.ApiVersion))
        {
            throw new ApiStatusException(ApiStatus.BadRequest(
                $"the API version in the data ({apiVersion}) does not match the expected API version ({resource.ApiVersion}) or kind {kind} is not {resource.Kind}"));
        }

        body["kind"] = resource.Kind;
        body["apiVersion"] = resource.ApiVersion;
    }

    /// <summary>Five characters from the alphabet the real server uses for generateName (no vowels, no 0/1/3).</summary>
    private static string RandomSuffix() =>
        string.Create(5, 0, (span, _) =>
        {
            const string Alphabet = "bcdfghjklmnpqrstvwxz2456789";
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
            }
        });
}
