namespace OrleansGate.Policy.Masking;

/// <summary>Where a detector found a sensitive value: a range of the text and the detector's name, never the text itself.</summary>
public readonly record struct DetectedSpan(int Start, int Length, string Detector)
{
    public int End => Start + Length;
}
