using System.Globalization;
using System.Text;

namespace OrleansGate.Edge.Identity;

/// <summary>Makes attacker-chosen strings (unverified claims, header values) safe to put in a log line.</summary>
internal static class UntrustedText
{
    private const int MaxLength = 128;

    /// <summary>Truncates and replaces control and formatting characters, so a crafted value cannot forge log lines.</summary>
    public static string ForLog(string? value)
    {
        if (value is null)
        {
            return "(none)";
        }

        var builder = new StringBuilder(Math.Min(value.Length, MaxLength) + 3);
        foreach (var c in value.AsSpan(0, Math.Min(value.Length, MaxLength)))
        {
            var category = CharUnicodeInfo.GetUnicodeCategory(c);
            builder.Append(char.IsControl(c) || category is UnicodeCategory.Format or UnicodeCategory.Surrogate ? '?' : c);
        }

        if (value.Length > MaxLength)
        {
            builder.Append("...");
        }

        return builder.ToString();
    }

    /// <summary>Whether <paramref name="algorithm"/> is plain enough to quote back to the client in a refusal.</summary>
    public static bool IsDisplayableAlgorithm(string algorithm) =>
        algorithm.Length <= 16 && algorithm.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '+' or '.');
}
