using OrleansGate.Policy.Model;

namespace OrleansGate.Edge.Tests.Masking;

internal static class TestMasks
{
    public static PolicyMask Mask(string name, params string[] columns) => new()
    {
        Name = name,
        Match = new PolicyRule { Name = name, Effect = PolicyEffect.Allow, Reason = "test" },
        Columns = columns,
    };
}
