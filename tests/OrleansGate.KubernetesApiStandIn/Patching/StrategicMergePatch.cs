using System.Text.Json.Nodes;

namespace OrleansGate.KubernetesApiStandIn.Patching;

/// <summary>
/// The part of strategic merge patch (<c>application/strategic-merge-patch+json</c>) that <c>kubectl apply</c>
/// and <c>kubectl patch</c> send for the built-in types: a merge patch in which lists of objects with a known
/// merge key (containers by name, volumeMounts by mountPath, …) merge element by element, and the directives
/// <c>$patch</c>, <c>$retainKeys</c>, <c>$deleteFromPrimitiveList/</c> and <c>$setElementOrder/</c> are honoured.
/// The real server reads merge keys from the Go types' struct tags; the stand-in has this short table instead,
/// so any other list is replaced whole.
/// </summary>
internal static class StrategicMergePatch
{
    private const string SetElementOrder = "$setElementOrder/";
    private const string DeleteFromPrimitiveList = "$deleteFromPrimitiveList/";

    private static readonly Dictionary<string, string[]> MergeKeys = new(StringComparer.Ordinal)
    {
        ["containers"] = ["name"],
        ["initContainers"] = ["name"],
        ["ephemeralContainers"] = ["name"],
        ["env"] = ["name"],
        ["volumes"] = ["name"],
        ["imagePullSecrets"] = ["name"],
        ["volumeMounts"] = ["mountPath"],
        ["volumeDevices"] = ["devicePath"],
        ["ports"] = ["containerPort", "port"],
        ["hostAliases"] = ["ip"],
        ["conditions"] = ["type"],
        ["ownerReferences"] = ["uid"],
        ["topologySpreadConstraints"] = ["topologyKey"],
    };

    /// <summary>Lists of primitives the real types merge rather than replace.</summary>
    private static readonly HashSet<string> MergedPrimitiveLists = new(StringComparer.Ordinal) { "finalizers" };

    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        switch (patchObject["$patch"]?.GetValue<string>())
        {
            case "delete":
                return null;
            case "replace":
                var replacement = (JsonObject)patchObject.DeepClone();
                replacement.Remove("$patch");
                return replacement;
        }

        var result = target as JsonObject ?? new JsonObject();
        foreach (var (key, value) in patchObject)
        {
            if (key.StartsWith(SetElementOrder, StringComparison.Ordinal) || key == "$patch" || key == "$retainKeys")
            {
                // Element order only matters to a reader comparing lists; the stand-in keeps the order it has.
                continue;
            }

            if (key.StartsWith(DeleteFromPrimitiveList, StringComparison.Ordinal))
            {
                var listName = key[DeleteFromPrimitiveList.Length..];
                if (result[listName] is JsonArray primitives && value is JsonArray doomed)
                {
                    RemoveWhere(primitives, item => doomed.Any(d => JsonNode.DeepEquals(d, item)));
                }

                continue;
            }

            if (value is null)
            {
                result.Remove(key);
            }
            else if (value is JsonArray patchList && result[key] is JsonArray targetList)
            {
                result[key] = MergeList(key, targetList, patchList);
            }
            else
            {
                var merged = Apply(result[key]?.DeepClone(), value);
                if (merged is null)
                {
                    result.Remove(key);
                }
                else
                {
                    result[key] = merged;
                }
            }
        }

        if (patchObject["$retainKeys"] is JsonArray retain)
        {
            var keep = retain.Select(k => k?.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
            foreach (var key in result.Select(p => p.Key).Where(k => !keep.Contains(k)).ToList())
            {
                result.Remove(key);
            }
        }

        return result;
    }

    private static JsonArray MergeList(string name, JsonArray target, JsonArray patch)
    {
        if (MergedPrimitiveLists.Contains(name))
        {
            var union = (JsonArray)target.DeepClone();
            foreach (var item in patch.Where(p => !union.Any(u => JsonNode.DeepEquals(u, p))))
            {
                union.Add(item?.DeepClone());
            }

            return union;
        }

        var mergeKey = MergeKeys.TryGetValue(name, out var candidates)
            ? candidates.FirstOrDefault(k => patch.All(p => p is JsonObject o && (o.ContainsKey(k) || o.ContainsKey("$patch"))))
            : null;
        if (mergeKey is null)
        {
            return (JsonArray)patch.DeepClone();
        }

        var result = (JsonArray)target.DeepClone();
        foreach (var element in patch.OfType<JsonObject>())
        {
            var keyValue = element[mergeKey];
            var index = IndexOf(result, mergeKey, keyValue);
            var merged = Apply(index >= 0 ? result[index]?.DeepClone() : null, element);
            if (index >= 0)
            {
                result.RemoveAt(index);
                if (merged is not null)
                {
                    result.Insert(index, merged);
                }
            }
            else if (merged is not null)
            {
                result.Add(merged);
            }
        }

        return result;
    }

    private static int IndexOf(JsonArray list, string key, JsonNode? value)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is JsonObject o && JsonNode.DeepEquals(o[key], value))
            {
                return i;
            }
        }

        return -1;
    }

    private static void RemoveWhere(JsonArray list, Func<JsonNode?, bool> doomed)
    {
        for (var i = list.Count - 1; i >= 0; i--)
        {
            if (doomed(list[i]))
            {
                list.RemoveAt(i);
            }
        }
    }
}
