namespace OrleansGate.Policy.Masking;

/// <summary>A named strategy that finds one kind of sensitive value in a text value (YARP-style: chosen by <see cref="Name"/>).</summary>
public interface IValueDetector
{
    /// <summary>The name a policy uses to enable the detector and the default redaction marker shows.</summary>
    string Name { get; }

    /// <summary>
    /// Appends every match in <paramref name="value"/> to <paramref name="found"/>, in order of start.
    /// Runs in time linear in the length of the value and allocates nothing when nothing matches.
    /// </summary>
    void Detect(ReadOnlySpan<char> value, List<DetectedSpan> found);
}
