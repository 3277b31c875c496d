using OrleansGate.Policy.Classification;

namespace OrleansGate.Policy.Tests;

public sealed class CacheTests
{
    [Fact]
    public void Same_text_returns_the_same_instance()
    {
        var classifier = new SqlClassifier();
        const string sql = "SELECT * FROM users WHERE id = $1";

        var first = classifier.Classify(sql);
        var second = classifier.Classify(new string(sql.AsSpan()));

        Assert.Same(first, second);
        Assert.Equal(1, classifier.CachedCount);
    }

    [Fact]
    public void Unparsable_text_is_cached_as_refused()
    {
        var classifier = new SqlClassifier();

        Assert.Same(classifier.Classify("selec 1"), classifier.Classify("selec 1"));
    }

    [Fact]
    public void Text_longer_than_the_cached_length_is_classified_every_time()
    {
        var classifier = new SqlClassifier(new SqlClassifierOptions { MaxCachedStatementLength = 10 });
        const string sql = "SELECT * FROM users";

        Assert.NotSame(classifier.Classify(sql), classifier.Classify(sql));
        Assert.Equal(0, classifier.CachedCount);
    }

    [Fact]
    public void Cache_stays_within_its_capacity()
    {
        var classifier = new SqlClassifier(new SqlClassifierOptions { CacheCapacity = 100 });

        for (var i = 0; i < 1000; i++)
        {
            classifier.Classify($"SELECT {i}");
        }

        Assert.InRange(classifier.CachedCount, 1, 100);
    }

    [Fact]
    public void Zero_capacity_disables_the_cache()
    {
        var classifier = new SqlClassifier(new SqlClassifierOptions { CacheCapacity = 0 });

        Assert.NotSame(classifier.Classify("SELECT 1"), classifier.Classify("SELECT 1"));
        Assert.Equal(0, classifier.CachedCount);
    }

    [Fact]
    public void Parallel_classification_gives_the_same_answers_as_sequential()
    {
        var statements = ((IEnumerable<object[]>)BypassCorpus.Statements).Select(row => (string)row[0])
            .Concat(((IEnumerable<object[]>)FalsePositiveCorpusTests.Reads).Select(row => (string)row[0]))
            .Concat(Enumerable.Range(0, 200).Select(i => $"SELECT * FROM t{i % 7} WHERE id = {i}"))
            .ToArray();
        var reference = new SqlClassifier(new SqlClassifierOptions { CacheCapacity = 0 });
        var expected = statements.Select(s => Describe(reference.Classify(s))).ToArray();

        // A small cache evicts all the time, so lookups, insertions and evictions race each other.
        var shared = new SqlClassifier(new SqlClassifierOptions { CacheCapacity = 32 });
        var mismatches = 0;
        Parallel.For(0, 20_000, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(4, Environment.ProcessorCount * 2) }, i =>
        {
            var index = (int)((uint)(i * 7919) % (uint)statements.Length);
            var classifier = i % 3 == 0 ? reference : shared;
            if (Describe(classifier.Classify(statements[index])) != expected[index])
            {
                Interlocked.Increment(ref mismatches);
            }
        });

        Assert.Equal(0, mismatches);
        Assert.InRange(shared.CachedCount, 1, 32);
    }

    private static string Describe(StatementClassification c) => string.Join(
        '|',
        c.Parsed,
        c.Kinds,
        c.Fingerprint,
        c.NormalizedSql,
        c.HasUnboundedWrite,
        string.Join(',', c.RelationsRead.Order(StringComparer.Ordinal)),
        string.Join(',', c.RelationsWritten.Order(StringComparer.Ordinal)),
        string.Join(',', c.Functions.Order(StringComparer.Ordinal)),
        string.Join(',', c.DangerousFunctionGroups.Order(StringComparer.Ordinal)));
}
