using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace OrleansGate.KubernetesApiStandIn.Store;

/// <summary>
/// The stand-in's etcd: objects by resource, namespace and name, one resourceVersion counter for all of
/// them, and the watchers told of every change. One lock guards it all: a watch registers and snapshots
/// under the same lock writes take, so a watcher misses no change and sees none twice.
/// </summary>
internal sealed partial class ObjectStore(TimeProvider time)
{
    /// <summary>How many past changes a watch from a resourceVersion can replay before it gets 410 Expired.</summary>
    private const int HistoryLength = 1024;

    private readonly Lock _gate = new();
    private readonly Dictionary<StoreKey, JsonObject> _objects = [];
    private readonly List<Watcher> _watchers = [];
    private readonly Queue<Change> _history = new();
    private long _resourceVersion;
    private long _historyFloor;

    /// <summary>Called (outside the lock) with every object deleted, so a pod's log followers can end.</summary>
    public Action<StandInResource, JsonObject>? Deleted { get; set; }

    public string ResourceVersion
    {
        get
        {
            lock (_gate)
            {
                return _resourceVersion.ToString(CultureInfo.InvariantCulture);
            }
        }
    }

    public JsonObject Get(StandInResource resource, string? ns, string name)
    {
        lock (_gate)
        {
            return _objects.TryGetValue(new StoreKey(resource, ns ?? "", name), out var found)
                ? (JsonObject)found.DeepClone()
                : throw new ApiStatusException(ApiStatus.NotFound(resource, name));
        }
    }

    /// <summary>Copies of the matching objects, ordered by namespace and name as etcd returns them, with the
    /// resourceVersion a watch can continue from.</summary>
    public (List<JsonObject> Items, string ResourceVersion) List(StandInResource resource, string? ns, Selector selector)
    {
        lock (_gate)
        {
            var items = Matching(resource, ns, selector).Select(o => (JsonObject)o.DeepClone()).ToList();
            return (items, _resourceVersion.ToString(CultureInfo.InvariantCulture));
        }
    }

    public JsonObject Create(StandInResource resource, string? ns, JsonObject body)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            var created = ObjectMetadata.ForCreate(resource, ns, body, now);
            var key = KeyOf(resource, created);
            if (_objects.ContainsKey(key))
            {
                throw new ApiStatusException(ApiStatus.AlreadyExists(resource, key.Name));
            }

            ObjectDefaults.Apply(resource, created, now);
            return Commit(key, created, WatchEvent.Added);
        }
    }

    /// <summary>Replaces an object with what <paramref name="change"/> makes of a copy of it (an update's
    /// body, a patched copy, a new status), keeping what the server owns: uid, creation time, namespace.</summary>
    public JsonObject Update(StandInResource resource, string? ns, string name, Func<JsonObject, JsonObject> change)
    {
        lock (_gate)
        {
            var key = new StoreKey(resource, ns ?? "", name);
            if (!_objects.TryGetValue(key, out var current))
            {
                throw new ApiStatusException(ApiStatus.NotFound(resource, name));
            }

            var updated = change((JsonObject)current.DeepClone());
            ObjectMetadata.ForUpdate(resource, name, current, updated);
            ObjectDefaults.Apply(resource, updated, time.GetUtcNow());
            return Commit(key, updated, WatchEvent.Modified);
        }
    }

    public JsonObject Delete(StandInResource resource, string? ns, string name)
    {
        JsonObject removed;
        lock (_gate)
        {
            var key = new StoreKey(resource, ns ?? "", name);
            if (!_objects.Remove(key, out var current))
            {
                throw new ApiStatusException(ApiStatus.NotFound(resource, name));
            }

            removed = RecordDeletion(key, current);
        }

        Deleted?.Invoke(resource, removed);
        return removed;
    }

    public List<JsonObject> DeleteCollection(StandInResource resource, string? ns, Selector selector)
    {
        var removed = new List<JsonObject>();
        lock (_gate)
        {
            foreach (var obj in Matching(resource, ns, selector).ToList())
            {
                var key = KeyOf(resource, obj);
                _objects.Remove(key);
                removed.Add(RecordDeletion(key, obj));
            }
        }

        foreach (var obj in removed)
        {
            Deleted?.Invoke(resource, obj);
        }

        return removed;
    }

    private JsonObject RecordDeletion(StoreKey key, JsonObject current)
    {
        // A deletion is a change too: it gets its own resourceVersion, which the DELETED event carries.
        var gone = (JsonObject)current.DeepClone();
        gone["metadata"]!["resourceVersion"] = NextResourceVersion();
        Publish(new Change(key, new WatchEvent(WatchEvent.Deleted, gone), _resourceVersion));
        return (JsonObject)gone.DeepClone();
    }

    private JsonObject Commit(StoreKey key, JsonObject obj, string eventType)
    {
        obj["metadata"]!["resourceVersion"] = NextResourceVersion();
        _objects[key] = obj;
        Publish(new Change(key, new WatchEvent(eventType, (JsonObject)obj.DeepClone()), _resourceVersion));
        return (JsonObject)obj.DeepClone();
    }

    private string NextResourceVersion() =>
        (++_resourceVersion).ToString(CultureInfo.InvariantCulture);

    private IEnumerable<JsonObject> Matching(StandInResource resource, string? ns, Selector selector) =>
        _objects
            .Where(e => e.Key.Resource == resource && (ns is null || e.Key.Namespace == ns) && selector.Matches(e.Value))
            .OrderBy(e => e.Key.Namespace, StringComparer.Ordinal)
            .ThenBy(e => e.Key.Name, StringComparer.Ordinal)
            .Select(e => e.Value);

    private static StoreKey KeyOf(StandInResource resource, JsonObject obj) =>
        new(resource, obj["metadata"]?["namespace"]?.GetValue<string>() ?? "", obj["metadata"]!["name"]!.GetValue<string>());

    private readonly record struct StoreKey(StandInResource Resource, string Namespace, string Name);

    private sealed record Change(StoreKey Key, WatchEvent Event, long ResourceVersion);

    private sealed record Watcher(StandInResource Resource, string? Namespace, Selector Selector, Channel<WatchEvent> Events)
    {
        public bool Sees(StoreKey key, JsonObject obj) =>
            key.Resource == Resource && (Namespace is null || key.Namespace == Namespace) && Selector.Matches(obj);
    }
}
