namespace OrleansGate.Policy.Masking;

/// <summary>
/// AWS access key ids: one of the IAM unique-id prefixes (AKIA, ASIA, AGPA, AIDA, AROA, AIPA, ANPA, ANVA,
/// APKA) and 16 upper-case letters or digits, 20 characters in all, not inside a longer word.
/// </summary>
public sealed class AwsAccessKeyDetector : IValueDetector
{
    private const int Length = 20;

    private static readonly string[] Prefixes = ["AKIA", "ASIA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "APKA"];

    public string Name => "aws_access_key";

    public void Detect(ReadOnlySpan<char> value, List<DetectedSpan> found)
    {
        ArgumentNullException.ThrowIfNull(found);

        var from = 0;
        while (from <= value.Length - Length)
        {
            var relative = value[from..].IndexOf('A');
            if (relative < 0)
            {
                return;
            }

            var start = from + relative;
            if (start + Length <= value.Length && IsKey(value.Slice(start, Length))
                && !Scan.IsWordAt(value, start - 1) && !Scan.IsWordAt(value, start + Length))
            {
                found.Add(new DetectedSpan(start, Length, Name));
                from = start + Length;
            }
            else
            {
                from = start + 1;
            }
        }
    }

    private static bool IsKey(ReadOnlySpan<char> candidate)
    {
        var prefix = candidate[..4];
        foreach (var known in Prefixes)
        {
            if (prefix.SequenceEqual(known))
            {
                foreach (var c in candidate[4..])
                {
                    if (!Scan.IsUpperAlphanumeric(c))
                    {
                        return false;
                    }
                }

                return true;
            }
        }

        return false;
    }
}
