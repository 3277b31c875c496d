using OrleansGate.Policy.Masking;

namespace OrleansGate.Policy.Tests.Masking;

/// <summary>Runs a detector and returns the matched texts, so tests read as "this text was found".</summary>
internal static class Found
{
    public static string[] By(IValueDetector detector, string value)
    {
        var spans = new List<DetectedSpan>();
        detector.Detect(value, spans);
        return Texts(value, spans);
    }

    public static string[] By(DetectorSet detectors, string value)
    {
        var spans = new List<DetectedSpan>();
        detectors.Detect(value, spans);
        return Texts(value, spans);
    }

    private static string[] Texts(string value, List<DetectedSpan> spans) =>
        [.. spans.Select(s => value.Substring(s.Start, s.Length))];
}
