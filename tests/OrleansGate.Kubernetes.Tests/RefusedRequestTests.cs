namespace OrleansGate.Kubernetes.Tests;

/// <summary>Requests the parser refuses, each with the part of the reason that names the rule.</summary>
public sealed class RefusedRequestTests
{
    public static TheoryData<string, string, string> Rows => new()
    {
        // Dot segments, raw or encoded, anywhere (a proxied sub-path and a non-resource path too).
        { "GET", "/api/v1/namespaces/ns/pods/../secrets", "path segment \"..\": dot segments are refused (they could name another resource)" },
        { "GET", "/api/v1/namespaces/ns/./pods", "path segment \".\": dot segments are refused" },
        { "GET", "/api/v1/namespaces/ns/pods/%2e%2e/x", "path segment \"%2e%2e\" decodes to \"..\": dot segments are refused" },
        { "GET", "/api/v1/pods/%2E", "path segment \"%2E\" decodes to \".\": dot segments are refused" },
        { "GET", "/api/v1/namespaces/ns/pods/...", "path segment \"...\": dot segments are refused" },
        { "GET", "/api/v1/namespaces/ns/pods/foo/proxy/../../secrets", "path segment \"..\": dot segments are refused" },
        { "GET", "/healthz/../api/v1/secrets", "path segment \"..\": dot segments are refused" },

        // Encoded separators, double encoding, backslashes, control and non-ASCII characters.
        { "GET", "/api/v1/namespaces/a%2Fb/pods", "path segment \"a%2Fb\" has an encoded \"/\" (%2F)" },
        { "GET", "/api/v1/pods/a%2f", "path segment \"a%2f\" has an encoded \"/\" (%2F)" },
        { "GET", "/api/v1/namespaces/ns/pods/a%252Fb", "has an encoded \"%\" (%25): double-encoded paths are refused" },
        { "GET", "/api/v1/namespaces/ns/pods/a%00", "has an encoded control character (%00)" },
        { "GET", "/api/v1/namespaces/ns/pods/a%7Fb", "has an encoded control character (%7F)" },
        { "GET", "/api/v1/namespaces/ns/pods/a%5Cb", "has an encoded backslash (%5C)" },
        { "GET", "/api/v1/namespaces/ns/pods/a\\b", "path segment \"a\\\\b\" has a backslash" },
        { "GET", "/api/v1/pods/a\tb", "path segment \"a\\u0009b\" has a control character" },
        { "GET", "/api/v1/pods/%C3%A9", "has an encoded non-ASCII byte (%C3)" },
        { "GET", "/api/v1/pods/\u00e9", "path segment \"\\u00E9\" has a non-ASCII character" },
        { "GET", "/api/v1/pods/a%20b", "has %20, which decodes to \" \": refused, that character cannot stand unencoded in a path" },
        { "GET", "/api/v1/pods/a%3Fb", "has %3F, which decodes to \"?\"" },
        { "GET", "/api/v1/pods/a b", "has \" \", which must be percent-encoded" },
        { "GET", "/api/v1/pods/a#b", "a fragment is never sent in a request" },
        { "GET", "/api/v1/pods/a%zz", "path segment \"a%zz\" has a malformed percent-encoding" },
        { "GET", "/api/v1/pods/a%4", "path segment \"a%4\" has a malformed percent-encoding" },

        // Empty segments: "//" anywhere, including at the start and before a trailing slash.
        { "GET", "/api/v1//pods", "empty path segment (\"//\") is refused" },
        { "GET", "//api/v1/pods", "empty path segment (\"//\") is refused" },
        { "GET", "/api/v1/pods//", "empty path segment (\"//\") is refused" },
        { "GET", "//", "empty path segment (\"//\") is refused" },
        { "GET", "/api/v1/namespaces/ns/pods/foo/proxy/a//b", "empty path segment (\"//\") is refused" },

        // Request targets that are not an origin-form path, and size caps.
        { "GET", "", "only a path starting with \"/\" is accepted" },
        { "GET", "http://evil.example/api/v1/pods", "only a path starting with \"/\" is accepted" },
        { "OPTIONS", "*", "only a path starting with \"/\" is accepted" },
        { "GET", "?watch=true", "only a path starting with \"/\" is accepted" },
        { "GET", "/" + string.Concat(Enumerable.Repeat("a/", 65)), "the path has more than 64 segments" },
        { "GET", "/api/v1/pods/" + new string('a', 8200), "characters long, over the 8192 cap" },

        // Methods: unknown, wrong case, or without a verb on a resource path.
        { "TRACE", "/api/v1/pods", "HTTP method \"TRACE\" is refused" },
        { "CONNECT", "/version", "HTTP method \"CONNECT\" is refused" },
        { "get", "/api/v1/pods", "HTTP method \"get\" is refused" },
        { "", "/api/v1/pods", "HTTP method \"\" is refused" },
        { "OPTIONS", "/api/v1/pods", "HTTP method OPTIONS has no Kubernetes verb on a resource path" },

        // Query: conflicting or unclear watch, ";", bad escapes, case variants, conflicting selectors.
        { "GET", "/api/v1/pods?watch=true&watch=false", "query parameter watch is repeated with conflicting values" },
        { "GET", "/api/v1/pods?watch=0&watch=TRUE", "query parameter watch is repeated with conflicting values" },
        { "GET", "/api/v1/pods?watch=yes", "query parameter watch=\"yes\" is refused: only true, false, 1 and 0 are accepted" },
        { "GET", "/api/v1/pods?watch", "query parameter watch=\"\" is refused" },
        { "GET", "/api/v1/pods?watch=1;watch=0", "the query has a \";\"" },
        { "GET", "/api/v1/pods?watch=%zz&watch=true", "has a malformed percent-encoding" },
        { "GET", "/api/v1/pods?Watch=true", "query parameter \"Watch\" differs only in case" },
        { "GET", "/api/v1/pods?FIELDSELECTOR=metadata.name=a", "query parameter \"FIELDSELECTOR\" differs only in case" },
        { "GET", "/api/v1/pods?fieldSelector=metadata.name=a&fieldSelector=metadata.name=b", "query parameter fieldSelector is repeated with different values" },
        { "GET", "/api/v1/pods?fieldSelector=metadata.name=a,metadata.name=b", "fieldSelector selects metadata.name \"a\" and \"b\"" },
        { "GET", "/api/v1/pods?labelSelector=a%00", "has a control or non-ASCII character" },
        { "GET", "/api/v1/pods?labelSelector=\u00e9", "has a control or non-ASCII character" },
        { "GET", "/api/v1/pods?labelSelector=a b", "the query has \" \", which must be percent-encoded" },
        { "GET", "/api/v1/pods?x=a#frag", "the query has a \"#\"" },

        // Path verbs: the removed /proxy/ prefix, watch with another method, without a resource, or doubled.
        { "GET", "/api/v1/proxy/namespaces/ns/pods/foo", "the legacy /proxy/ path prefix is refused" },
        { "DELETE", "/api/v1/watch/namespaces/ns/pods/foo", "the watch path prefix with HTTP method DELETE is refused" },
        { "GET", "/api/v1/watch", "the watch path prefix names no resource" },
        { "GET", "/apis/apps/v1/watch/", "the watch path prefix names no resource" },
        { "GET", "/api/v1/watch/watch/pods", "the watch path prefix followed by \"watch\" is refused" },

        // Keywords that differ only in case from the ones the API server reads.
        { "GET", "/API/v1/pods", "path segment \"API\" differs only in case" },
        { "GET", "/Apis/apps/v1/deployments", "path segment \"Apis\" differs only in case" },
        { "GET", "/api/v1/Namespaces/ns/pods", "path segment \"Namespaces\" differs only in case" },
        { "GET", "/api/v1/WATCH/pods", "path segment \"WATCH\" differs only in case from a verb prefix" },
        { "PUT", "/api/v1/namespaces/ns/Status", "path segment \"Status\" differs only in case" },

        // Paths the API server reads loosely: a namespace inside a namespace, segments after a subresource.
        { "GET", "/api/v1/namespaces/a/namespaces/b", "a namespace path inside namespace \"a\" is refused" },
        { "GET", "/api/v1/namespaces/ns/pods/foo/log/extra", "path segments after subresource \"log\" (starting \"extra\") are refused" },
        { "POST", "/api/v1/namespaces/ns/pods/foo/exec/x", "path segments after subresource \"exec\"" },
        { "PUT", "/api/v1/namespaces/ns/status/extra", "path segments after subresource \"status\"" },
        { "PUT", "/apis/apps/v1/namespaces/ns/deployments/web/scale/x/y", "path segments after subresource \"scale\"" },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public void Request_is_refused_with_the_rule_it_breaks(string method, string target, string reason)
    {
        var result = KubernetesRequestParser.Parse(method, target);

        Assert.False(result.IsAccepted, $"accepted as {result.Request}");
        Assert.Contains(reason, result.Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void Dot_segment_refusal_reads_as_one_sentence()
    {
        var result = KubernetesRequestParser.Parse("GET", "/api/v1/namespaces/ns/pods/..");

        Assert.Equal("path segment \"..\": dot segments are refused (they could name another resource)", result.Refusal);
    }

    [Fact]
    public void Null_method_or_target_is_refused_without_throwing()
    {
        Assert.Equal("the method and the request target are both required", KubernetesRequestParser.Parse(null!, "/api").Refusal);
        Assert.Equal("the method and the request target are both required", KubernetesRequestParser.Parse("GET", null!).Refusal);
    }

    [Fact]
    public void Target_of_exactly_the_length_cap_is_not_refused_for_its_length()
    {
        var target = "/api/v1/namespaces/ns/pods/" + new string('a', KubernetesRequestParser.MaxRequestTargetLength - 27);

        var result = KubernetesRequestParser.Parse("GET", target);

        Assert.Equal(KubernetesRequestParser.MaxRequestTargetLength, target.Length);
        Assert.True(result.IsAccepted, result.Refusal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    public void Path_of_exactly_64_segments_is_not_refused_for_its_depth(string trailingSlash)
    {
        var target = "/api/v1/nodes/n1/proxy" + string.Concat(Enumerable.Repeat("/a", 59)) + trailingSlash;

        var result = KubernetesRequestParser.Parse("GET", target);

        Assert.True(result.IsAccepted, result.Refusal);
        Assert.Equal("proxy", result.Request.Subresource);
    }

    [Fact]
    public void Refusal_escapes_raw_line_breaks_so_the_reason_cannot_forge_a_log_line()
    {
        var result = KubernetesRequestParser.Parse("GET", "/api/v1/pods/a\r\nforged");

        Assert.Equal("path segment \"a\\u000D\\u000Aforged\" has a control character: refused", result.Refusal);
    }

    [Fact]
    public void Refusal_shortens_long_request_text_to_64_characters()
    {
        var result = KubernetesRequestParser.Parse("GET", "/api/v1/pods/" + new string('x', 100) + "%00");

        Assert.StartsWith("path segment \"" + new string('x', 64) + "\"... has an encoded control character", result.Refusal, StringComparison.Ordinal);
    }
}
