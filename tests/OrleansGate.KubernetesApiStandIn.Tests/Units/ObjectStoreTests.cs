using OrleansGate.KubernetesApiStandIn.Store;

namespace OrleansGate.KubernetesApiStandIn.Tests.Units;

public sealed class ObjectStoreTests
{
    private readonly ObjectStore _store = new(TimeProvider.System);

    private JsonObject Add(string name) => _store.Create(StandInResources.ConfigMaps, "default", StandInObjects.ConfigMap(name, new Dictionary<string, string>()));

    [Fact]
    public void Every_write_takes_the_next_global_resourceVersion()
    {
        var first = Add("a");
        var second = _store.Create(StandInResources.Secrets, "default", StandInObjects.Secret("s", new Dictionary<string, string>()));

        Assert.Equal("1", first["metadata"]!["resourceVersion"]!.GetValue<string>());
        Assert.Equal("2", second["metadata"]!["resourceVersion"]!.GetValue<string>());
        Assert.Equal("2", _store.ResourceVersion);
    }

    [Fact]
    public void Update_naming_a_stale_resourceVersion_is_a_409_conflict()
    {
        var stale = Add("a");
        _store.Update(StandInResources.ConfigMaps, "default", "a", c => c);

        var conflict = Assert.Throws<ApiStatusException>(() =>
            _store.Update(StandInResources.ConfigMaps, "default", "a", _ => (JsonObject)stale.DeepClone()));
        Assert.Equal((409, "Conflict"), (conflict.Status.Code, conflict.Status.Reason));
    }

    [Fact]
    public void Watch_from_a_resourceVersion_replays_only_later_changes_then_live_ones()
    {
        Add("a");
        var after = _store.ResourceVersion;
        Add("b");
        using var watch = _store.Watch(StandInResources.ConfigMaps, "default", Selector.Everything, after);
        _store.Delete(StandInResources.ConfigMaps, "default", "a");

        Assert.True(watch.Events.TryRead(out var replayed));
        Assert.True(watch.Events.TryRead(out var live));
        Assert.False(watch.Events.TryRead(out _));
        Assert.Equal(("ADDED", "b"), (replayed.Type, ObjectMetadata.Name(replayed.Object)));
        Assert.Equal(("DELETED", "a"), (live.Type, ObjectMetadata.Name(live.Object)));
    }

    [Fact]
    public void Watch_from_a_version_older_than_the_history_is_410_expired()
    {
        for (var i = 0; i < 1100; i++)
        {
            Add($"cm-{i}");
        }

        var expired = Assert.Throws<ApiStatusException>(() =>
            _store.Watch(StandInResources.ConfigMaps, "default", Selector.Everything, "5"));
        Assert.Equal(410, expired.Status.Code);
    }

    [Fact]
    public void Secret_stringData_is_stored_as_base64_data()
    {
        var secret = JsonNode.Parse("""{"metadata":{"name":"s"},"data":{"old":"eA=="},"stringData":{"new":"hunter2"}}""")!.AsObject();

        var stored = _store.Create(StandInResources.Secrets, "default", secret);

        Assert.Equal("""{"old":"eA==","new":"aHVudGVyMg=="}""", stored["data"]!.ToJsonString());
        Assert.Null(stored["stringData"]);
        Assert.Equal("Opaque", stored["type"]!.GetValue<string>());
    }
}
