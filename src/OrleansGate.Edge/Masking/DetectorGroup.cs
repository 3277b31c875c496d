using System.Text;
using OrleansGate.Policy.Masking;
using OrleansGate.Policy.Model;

namespace OrleansGate.Edge.Masking;

/// <summary>The detectors of one mask and how that mask replaces what they find.</summary>
public sealed class DetectorGroup
{
    private readonly Dictionary<string, string> _labels = new(StringComparer.Ordinal);
    private readonly Dictionary<string, byte[]> _markers = new(StringComparer.Ordinal);

    public DetectorGroup(DetectorSet detectors, ValueMasker masker)
    {
        ArgumentNullException.ThrowIfNull(detectors);
        ArgumentNullException.ThrowIfNull(masker);
        Detectors = detectors;
        Masker = masker;
        foreach (var detector in detectors.Detectors)
        {
            _labels[detector.Name] = $"detector {detector.Name} ({masker.Mask.Name}, {masker.MethodName})";
            _markers[detector.Name] = Encoding.UTF8.GetBytes(Redaction.DefaultMarker(detector.Name));
        }
    }

    public DetectorSet Detectors { get; }

    public ValueMasker Masker { get; }

    internal MaskMethod Method => Masker.Mask.Method;

    /// <summary>The audit label of a detector of this group, built once.</summary>
    internal string LabelFor(string detector) =>
        _labels.TryGetValue(detector, out var label) ? label : $"detector {detector} ({Masker.Mask.Name}, {Masker.MethodName})";

    /// <summary>The redaction marker of a detector as UTF-8, e.g. <c>[email]</c>, built once.</summary>
    internal ReadOnlySpan<byte> MarkerFor(string detector) =>
        _markers.TryGetValue(detector, out var marker) ? marker : Encoding.UTF8.GetBytes(Redaction.DefaultMarker(detector));
}
