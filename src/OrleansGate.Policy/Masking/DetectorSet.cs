namespace OrleansGate.Policy.Masking;

/// <summary>
/// The detectors a policy enables, run together over one text value; overlapping finds are merged so each
/// character is redacted once.
/// </summary>
/// <remarks>
/// Cost per value is bounded by construction, not by a cut-off: every built-in is a hand-written scanner
/// that is linear in the length of the value, and configured patterns run on the non-backtracking regex
/// engine (linear too) under a match timeout that fails closed. Values are always scanned in full, however
/// long: truncating at some cap would let a secret placed past it through unmasked.
/// </remarks>
public sealed class DetectorSet
{
    private static readonly IValueDetector[] BuiltIns =
    [
        new EmailDetector(),
        new CardNumberDetector(),
        new UsSsnDetector(),
        new IbanDetector(),
        new AwsAccessKeyDetector(),
        new JwtDetector(),
        new PemPrivateKeyDetector(),
    ];

    private readonly IValueDetector[] _detectors;

    private DetectorSet(IValueDetector[] detectors) => _detectors = detectors;

    /// <summary>The names of the detectors that need no configuration.</summary>
    public static IReadOnlyList<string> BuiltInNames { get; } = [.. BuiltIns.Select(d => d.Name)];

    public IReadOnlyList<IValueDetector> Detectors => _detectors;

    /// <summary>
    /// The built-in detectors named in <paramref name="names"/> and one <see cref="RegexDetector"/> per
    /// entry of <paramref name="customPatterns"/>. A custom pattern is enabled by being configured; naming it
    /// in <paramref name="names"/> too is allowed, so a policy can list everything it enables in one place.
    /// </summary>
    /// <exception cref="DetectorConfigurationException">
    /// A name is neither built in nor configured, is listed twice, a custom pattern reuses a built-in name,
    /// or a pattern is refused by <see cref="RegexDetector"/>.
    /// </exception>
    public static DetectorSet Create(IEnumerable<string> names, IReadOnlyDictionary<string, string> customPatterns)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(customPatterns);

        var detectors = new List<IValueDetector>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (!seen.Add(name))
            {
                throw new DetectorConfigurationException($"detector '{name}' is listed more than once");
            }

            if (customPatterns.ContainsKey(name))
            {
                continue;
            }

            var builtIn = Array.Find(BuiltIns, d => d.Name == name)
                ?? throw new DetectorConfigurationException(
                    $"unknown detector '{name}': the built-in detectors are {string.Join(", ", BuiltInNames)}, "
                    + "and a custom one needs a pattern");
            detectors.Add(builtIn);
        }

        foreach (var (name, pattern) in customPatterns.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (BuiltInNames.Contains(name))
            {
                throw new DetectorConfigurationException($"custom detector '{name}' has the name of a built-in detector; choose another name");
            }

            detectors.Add(new RegexDetector(name, pattern));
        }

        return new DetectorSet([.. detectors]);
    }

    /// <summary>
    /// Appends to <paramref name="found"/> what all detectors find in <paramref name="value"/>, sorted by
    /// start, overlaps merged. Allocates nothing when nothing is found.
    /// </summary>
    public void Detect(ReadOnlySpan<char> value, List<DetectedSpan> found)
    {
        ArgumentNullException.ThrowIfNull(found);

        var first = found.Count;
        foreach (var detector in _detectors)
        {
            detector.Detect(value, found);
        }

        if (found.Count - first > 1)
        {
            SpanMerge.SortAndMerge(found, first);
        }
    }
}
