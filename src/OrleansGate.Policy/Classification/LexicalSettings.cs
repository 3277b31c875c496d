namespace OrleansGate.Policy.Classification;

/// <summary>
/// The two settings that decide how the target reads statement text, which the classifier assumes fixed:
/// text arrives as UTF-8 (<c>client_encoding</c> UTF8) and backslashes in ordinary string literals are plain
/// characters (<c>standard_conforming_strings</c> on). Under SJIS, BIG5, GBK, UHC, GB18030 or JOHAB the UTF-8
/// bytes of a character followed by a backslash form a different character and the backslash disappears; with
/// <c>standard_conforming_strings</c> off, <c>'…\'…'</c> ends elsewhere. Either way text the classifier reads
/// as a string literal could run as statements. The gateway pins both at login, refuses statements that change
/// them (a guard no policy overrides), and ends a session whose target reports another value.
/// </summary>
public static class LexicalSettings
{
    public const string ClientEncoding = "client_encoding";

    public const string StandardConformingStrings = "standard_conforming_strings";

    /// <summary>The values the upstream login always sends (startup values override role and database defaults).</summary>
    public static readonly KeyValuePair<string, string>[] PinnedStartupValues =
    [
        new(ClientEncoding, "UTF8"),
        new(StandardConformingStrings, "on"),
    ];

    /// <summary>The decision's rule name for the guard.</summary>
    public const string GuardRule = GatewayRules.LexicalSettings;

    internal const string ChangeRefused =
        "client_encoding and standard_conforming_strings are fixed by the gateway (UTF8, on): with other values the target " +
        "would read statement text differently from the gateway's parser, so statements that change them are refused";

    internal const string UnknownSettingRefused =
        "set_config with a setting name that is not a constant, or an UPDATE of pg_settings, could change client_encoding " +
        "or standard_conforming_strings, which the gateway fixes (UTF8, on) so that the target reads statement text as its parser does";

    /// <summary>True for a setting name the classifier depends on (setting names are case-insensitive).</summary>
    public static bool IsPinned(string name) =>
        name.Equals(ClientEncoding, StringComparison.OrdinalIgnoreCase)
        || name.Equals(StandardConformingStrings, StringComparison.OrdinalIgnoreCase);

    /// <summary>A client's <c>client_encoding</c> startup value the gateway accepts: UTF8, UTF-8 or UNICODE in any case.</summary>
    public static bool IsUtf8(string value) =>
        value.Equals("UTF8", StringComparison.OrdinalIgnoreCase)
        || value.Equals("UTF-8", StringComparison.OrdinalIgnoreCase)
        || value.Equals("UNICODE", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Why a value the target reports (ParameterStatus) breaks the classifier's assumptions, or null when it does
    /// not (other parameters, or the pinned values).
    /// </summary>
    public static string? CheckReported(string name, string value)
    {
        if (name == ClientEncoding && !value.Equals("UTF8", StringComparison.Ordinal))
        {
            return $"the target switched client_encoding to \"{value}\"; the gateway requires UTF8 so that the target reads statement text as its parser does";
        }

        if (name == StandardConformingStrings && !value.Equals("on", StringComparison.Ordinal))
        {
            return $"the target switched standard_conforming_strings to \"{value}\"; the gateway requires on so that the target reads string literals as its parser does";
        }

        return null;
    }
}
