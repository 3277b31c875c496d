namespace OrleansGate.Policy.Tests;

internal static class SetAssert
{
    /// <summary>Compares as sets, reporting both sides sorted.</summary>
    public static void Equal(IEnumerable<string> expected, IReadOnlySet<string> actual) =>
        Assert.Equal(expected.Order(StringComparer.Ordinal), actual.Order(StringComparer.Ordinal));
}
