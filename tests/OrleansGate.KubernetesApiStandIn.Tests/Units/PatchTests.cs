using OrleansGate.KubernetesApiStandIn.Patching;

namespace OrleansGate.KubernetesApiStandIn.Tests.Units;

public sealed class PatchTests
{
    private static JsonNode Parse(string json) => JsonNode.Parse(json)!;

    [Fact]
    public void Strategic_merge_merges_containers_by_name_and_keeps_unnamed_fields()
    {
        var target = Parse("""{"spec":{"containers":[{"name":"a","image":"a:1","ports":[{"containerPort":80}]},{"name":"b","image":"b:1"}]}}""");
        var patch = Parse("""{"spec":{"$setElementOrder/containers":[{"name":"a"},{"name":"b"}],"containers":[{"name":"a","image":"a:2"}]}}""");

        var result = StrategicMergePatch.Apply(target, patch)!;

        Assert.Equal(
            """{"spec":{"containers":[{"name":"a","image":"a:2","ports":[{"containerPort":80}]},{"name":"b","image":"b:1"}]}}""",
            result.ToJsonString());
    }

    [Fact]
    public void Strategic_merge_deletes_a_keyed_element_and_honours_retainKeys()
    {
        var target = Parse("""{"env":[{"name":"X","value":"1"},{"name":"Y","value":"2"}],"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}}}""");
        var patch = Parse("""{"env":[{"name":"X","$patch":"delete"}],"strategy":{"$retainKeys":["type"],"type":"Recreate"}}""");

        var result = StrategicMergePatch.Apply(target, patch)!;

        Assert.Equal("""{"env":[{"name":"Y","value":"2"}],"strategy":{"type":"Recreate"}}""", result.ToJsonString());
    }

    [Fact]
    public void Strategic_merge_replaces_lists_without_a_merge_key_and_null_removes()
    {
        var target = Parse("""{"args":["a","b"],"data":{"k":"v","gone":"x"}}""");
        var patch = Parse("""{"args":["c"],"data":{"gone":null}}""");

        Assert.Equal("""{"args":["c"],"data":{"k":"v"}}""", StrategicMergePatch.Apply(target, patch)!.ToJsonString());
    }

    [Fact]
    public void Merge_patch_replaces_lists_whole()
    {
        var target = Parse("""{"containers":[{"name":"a","image":"a:1"}],"keep":1}""");
        var patch = Parse("""{"containers":[{"name":"a","image":"a:2"}]}""");

        Assert.Equal("""{"containers":[{"name":"a","image":"a:2"}],"keep":1}""", MergePatch.Apply(target, patch)!.ToJsonString());
    }

    [Fact]
    public void Json_patch_applies_add_replace_remove_and_move_in_order()
    {
        var target = Parse("""{"data":{"a":"1","b":"2"},"list":[1,2]}""");
        var ops = (JsonArray)Parse("""
            [{"op":"add","path":"/data/c","value":"3"},{"op":"replace","path":"/data/a","value":"x"},
             {"op":"remove","path":"/data/b"},{"op":"add","path":"/list/-","value":3},{"op":"move","from":"/data/c","path":"/moved"}]
            """);

        Assert.Equal("""{"data":{"a":"x"},"list":[1,2,3],"moved":"3"}""", JsonPatch.Apply(target, ops).ToJsonString());
    }

    [Fact]
    public void Json_patch_failing_test_operation_throws()
    {
        var ops = (JsonArray)Parse("""[{"op":"test","path":"/a","value":"other"}]""");

        Assert.Throws<PatchException>(() => JsonPatch.Apply(Parse("""{"a":"1"}"""), ops));
    }
}
