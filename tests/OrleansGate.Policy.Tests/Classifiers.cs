using OrleansGate.Policy.Classification;

namespace OrleansGate.Policy.Tests;

/// <summary>One classifier for tests that do not look at the cache; it is thread-safe.</summary>
internal static class Classifiers
{
    public static SqlClassifier Shared { get; } = new();

    public static StatementClassification Classify(string sql) => Shared.Classify(sql);
}
