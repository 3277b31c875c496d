using System.Buffers;

namespace OrleansGate.Policy.Masking;

/// <summary>Character tests shared by the hand-written scanners.</summary>
internal static class Scan
{
    // The generic IndexOfAnyInRange('0', '9') allocated on every call in tier-0 code; SearchValues does not.
    public static readonly SearchValues<char> Digits = SearchValues.Create("0123456789");

    /// <summary>True when the character at <paramref name="index"/> exists and is an ASCII letter or digit, i.e. a match there would not be word-bounded.</summary>
    public static bool IsWordAt(ReadOnlySpan<char> value, int index) =>
        (uint)index < (uint)value.Length && char.IsAsciiLetterOrDigit(value[index]);

    public static bool IsUpperAlphanumeric(char c) => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c);
}
