using OrleansGate.Policy.Model;

namespace OrleansGate.Policy.Evaluation;

/// <summary>
/// Whether a rule's <c>kubernetes:</c> or <c>http:</c> match applies to one request. As for SQL statements, an allow rule
/// must cover the whole request and a deny or approve rule matches when the request touches anything it names. So where
/// a request does not narrow itself (a list across all namespaces has no namespace, a create no name, exec is a
/// subresource of pods), an allow rule naming namespaces, names or only <c>pods</c> does not cover it, and a deny or
/// approve rule naming them does match it. A match with <c>commands</c> decides exec requests only (<see cref="ExecCommands"/>).
/// </summary>
internal static class RequestRules
{
    /// <summary><c>kubernetes: {}</c>: every resource request; for an allow, those without a subresource.</summary>
    public static readonly KubernetesMatch AnyResource = new();

    public static bool Covers(KubernetesMatch match, KubernetesRequestFacts request) => Matches(match, request, allow: true);

    public static bool Matches(KubernetesMatch match, KubernetesRequestFacts request, bool allow)
    {
        if (match.Verbs.Count > 0 && !Contains(match.Verbs, request.Verb) && !Contains(match.Verbs, "*"))
        {
            return false;
        }

        if (!request.IsResourceRequest)
        {
            return match.IsNonResource && Glob.AnyMatch(match.NonResourcePaths, request.Path);
        }

        return !match.IsNonResource
            && ResourceMatches(match, request, allow)
            && Narrowed(match.Namespaces, request.Namespace, allow)
            && Narrowed(match.Names, request.Name, allow)
            && (match.Commands.Count == 0 || (request.Subresource == "exec" && ExecCommands.Matches(match.Commands, request.Command, allow)));
    }

    public static bool Matches(HttpMatch match, HttpRequestFacts request) =>
        (match.Methods.Count == 0 || Contains(match.Methods, "*") || Contains(match.Methods, request.Method, StringComparison.OrdinalIgnoreCase))
        && (match.Paths.Count == 0 || Glob.AnyMatch(match.Paths, request.Path));

    private static bool ResourceMatches(KubernetesMatch match, KubernetesRequestFacts request, bool allow)
    {
        var (group, resource, subresource) = (request.ApiGroup, request.Resource, request.Subresource);
        if (match.Subresources.Count > 0)
        {
            // `subresources` names the subresources of the listed resources (of any, without `resources`).
            return subresource.Length > 0
                && Glob.AnyMatch(match.Subresources, subresource)
                && (match.Resources.Count == 0 || AnyName(match.Resources, group, resource, ""));
        }

        if (match.Resources.Count == 0)
        {
            return subresource.Length == 0 || !allow; // as `*`
        }

        for (var i = 0; i < match.Resources.Count; i++)
        {
            var pattern = match.Resources[i];
            if (pattern.IsAny ? subresource.Length == 0 || !allow
                : NameMatches(pattern.Segments, group, resource, subresource)
                    // A deny on pods also refuses pods/exec; an allow on pods does not allow it.
                    || (!allow && subresource.Length > 0 && NameMatches(pattern.Segments, group, resource, "")))
            {
                return true;
            }
        }

        return false;
    }

    private static bool AnyName(IReadOnlyList<KubernetesResourcePattern> patterns, string group, string resource, string subresource)
    {
        for (var i = 0; i < patterns.Count; i++)
        {
            if (patterns[i].IsAny || NameMatches(patterns[i].Segments, group, resource, subresource))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The request's name is <c>[group/]resource[/subresource]</c> (no group segment for the core group); the pattern
    /// must have as many segments, each matching its own, so <c>*</c> never reaches into a subresource.
    /// </summary>
    private static bool NameMatches(IReadOnlyList<string> segments, string group, string resource, string subresource)
    {
        var count = (group.Length > 0 ? 1 : 0) + 1 + (subresource.Length > 0 ? 1 : 0);
        if (segments.Count != count)
        {
            return false;
        }

        var i = 0;
        return (group.Length == 0 || Glob.IsMatch(segments[i++], group))
            && Glob.IsMatch(segments[i++], resource)
            && (subresource.Length == 0 || Glob.IsMatch(segments[i], subresource));
    }

    /// <summary>A namespace or name condition: a request without one (all namespaces, all names) is covered by no allow and touched by every deny.</summary>
    private static bool Narrowed(IReadOnlyList<string> patterns, string value, bool allow) =>
        patterns.Count == 0 || (value.Length == 0 ? !allow : Glob.AnyMatch(patterns, value));

    private static bool Contains(IReadOnlyList<string> values, string value, StringComparison comparison = StringComparison.Ordinal)
    {
        for (var i = 0; i < values.Count; i++)
        {
            if (string.Equals(values[i], value, comparison))
            {
                return true;
            }
        }

        return false;
    }
}
