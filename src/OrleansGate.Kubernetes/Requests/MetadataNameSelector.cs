using System.Diagnostics.CodeAnalysis;
using static OrleansGate.Kubernetes.Requests.RefusalText;

namespace OrleansGate.Kubernetes.Requests;

/// <summary>
/// Finds the object a list or watch names through <c>fieldSelector=metadata.name=X</c>, reading the selector as
/// the API server's <c>fields.ParseSelector</c> does: terms split at unescaped ",", each split at the first
/// "!=", "==" or "=", values unescaped (<c>\\</c>, <c>\,</c>, <c>\=</c>). The server then sets the request's name,
/// so policy on one named object covers such a list.
/// </summary>
internal static class MetadataNameSelector
{
    private const string NameField = "metadata.name";

    /// <summary>
    /// Sets <paramref name="name"/> to the selected name, or null when none is selected (also when the selector is
    /// invalid: the API server then sets no name and answers 400). False when two terms select different names.
    /// </summary>
    public static bool TryFind(string selector, out string? name, [NotNullWhen(false)] out string? refusal)
    {
        name = null;
        refusal = null;
        string? selected = null;
        string? pendingConflict = null;
        foreach (var term in SplitTerms(selector))
        {
            if (term.Length == 0)
            {
                continue;
            }

            if (!TrySplitTerm(term, out var field, out var exact, out var rawValue) || !TryUnescape(rawValue, out var value))
            {
                return true;
            }

            if (exact && field == NameField)
            {
                if (selected is not null && selected != value)
                {
                    // The server would authorise the first in sorted order; the list would be empty anyway.
                    pendingConflict ??= $"fieldSelector selects metadata.name {Quote(selected)} and {Quote(value)}: refused";
                    continue;
                }

                selected = value;
            }
        }

        if (pendingConflict is not null)
        {
            refusal = pendingConflict;
            return false;
        }

        // content.IsPathSegmentName: the server ignores a name that could not be a path segment.
        name = selected is null or "" or "." or ".." || selected.AsSpan().ContainsAny('/', '%') ? null : selected;
        return true;
    }

    private static List<string> SplitTerms(string selector)
    {
        var terms = new List<string>();
        var start = 0;
        var escaped = false;
        for (var i = 0; i < selector.Length; i++)
        {
            if (escaped)
            {
                escaped = false;
            }
            else if (selector[i] == '\\')
            {
                escaped = true;
            }
            else if (selector[i] == ',')
            {
                terms.Add(selector[start..i]);
                start = i + 1;
            }
        }

        terms.Add(selector[start..]);
        return terms;
    }

    private static bool TrySplitTerm(string term, out string field, out bool exact, out string value)
    {
        for (var i = 0; i < term.Length; i++)
        {
            var length = term.AsSpan(i) switch
            {
                ['!', '=', ..] or ['=', '=', ..] => 2,
                ['=', ..] => 1,
                _ => 0,
            };
            if (length > 0)
            {
                (field, exact, value) = (term[..i], term[i] == '=', term[(i + length)..]);
                return true;
            }
        }

        (field, exact, value) = ("", false, "");
        return false;
    }

    private static bool TryUnescape(string raw, out string value)
    {
        value = "";
        var chars = new char[raw.Length];
        var length = 0;
        var escaped = false;
        foreach (var c in raw)
        {
            if (escaped)
            {
                if (c is not ('\\' or ',' or '='))
                {
                    return false;
                }

                chars[length++] = c;
                escaped = false;
            }
            else if (c == '\\')
            {
                escaped = true;
            }
            else if (c is ',' or '=')
            {
                return false;
            }
            else
            {
                chars[length++] = c;
            }
        }

        if (escaped)
        {
            return false;
        }

        value = new string(chars, 0, length);
        return true;
    }
}
