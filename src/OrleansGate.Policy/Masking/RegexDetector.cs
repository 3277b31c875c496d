using System.Text.RegularExpressions;

namespace OrleansGate.Policy.Masking;

/// <summary>
/// A detector configured by pattern. It runs on .NET's non-backtracking engine, whose time is linear in
/// the length of the value whatever the pattern, so a policy author cannot write a catastrophic pattern.
/// </summary>
public sealed class RegexDetector : IValueDetector
{
    /// <summary>A second guard behind the linear engine: a huge value on a loaded host still ends.</summary>
    public static readonly TimeSpan DefaultMatchTimeout = TimeSpan.FromSeconds(1);

    private readonly Regex _regex;

    public RegexDetector(string name, string pattern)
        : this(name, pattern, DefaultMatchTimeout)
    {
    }

    /// <exception cref="DetectorConfigurationException">The pattern does not parse, or uses a construct the non-backtracking engine refuses (backreferences, lookarounds, atomic groups, conditionals).</exception>
    public RegexDetector(string name, string pattern, TimeSpan matchTimeout)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(pattern);
        Name = name;
        try
        {
            _regex = new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant, matchTimeout);
        }
        catch (NotSupportedException e)
        {
            throw new DetectorConfigurationException(
                $"detector '{name}': the pattern cannot run in linear time: {e.Message} "
                + "Rewrite it without backreferences, lookarounds, atomic groups or conditionals.",
                e);
        }
        catch (ArgumentException e)
        {
            throw new DetectorConfigurationException($"detector '{name}': the pattern is not a valid regular expression: {e.Message}", e);
        }
    }

    public string Name { get; }

    public void Detect(ReadOnlySpan<char> value, List<DetectedSpan> found)
    {
        ArgumentNullException.ThrowIfNull(found);

        var before = found.Count;
        try
        {
            foreach (var match in _regex.EnumerateMatches(value))
            {
                // An empty match ("x*" between characters) covers nothing to hide.
                if (match.Length > 0)
                {
                    found.Add(new DetectedSpan(match.Index, match.Length, Name));
                }
            }
        }
        catch (RegexMatchTimeoutException)
        {
            // The exception carries the value in Input, so it must not travel on; and a value not fully
            // scanned may hold what the pattern looks for, so the whole value counts as a match.
            found.RemoveRange(before, found.Count - before);
            found.Add(new DetectedSpan(0, value.Length, Name));
        }
    }
}
