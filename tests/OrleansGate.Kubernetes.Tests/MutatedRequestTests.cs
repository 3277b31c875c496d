using System.Text;

namespace OrleansGate.Kubernetes.Tests;

/// <summary>
/// Thousands of mutated and random request targets: the parser never throws, every outcome is well formed, and an
/// accepted path always parses again to the same attributes (so forwarding the decoded path cannot change its meaning).
/// </summary>
public sealed class MutatedRequestTests
{
    private static readonly string[] Methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "get", ""];

    // Fragments aimed at the rules: separators, encodings, dot segments, keywords, query syntax, odd characters.
    private static readonly string[] Fragments =
    [
        "/", "//", ".", "..", "/../", "/./", "%", "%2F", "%2f", "%25", "%252F", "%2E", "%2e%2e", "%5C", "\\", "%00", "\0",
        "%zz", "%4", "?", "&", "=", "#", ";", "+", " ", "%20", "\t", "\r\n", "\u00e9", "%C3%A9", "\ud800", "watch", "proxy",
        "namespaces", "status", "finalize", "api", "apis", "API", "v1", "?watch=true", "&watch=false", "?watch=1&watch=0",
        "?fieldSelector=metadata.name=x", "&fieldSelector=metadata.name=y", ",metadata.name=z", "\\,", "==", "!=", ":",
    ];

    private static readonly string[] Seeds =
    [
        "/api/v1/namespaces/ns/pods/foo", "/api/v1/namespaces/ns/pods?watch=true", "/apis/apps/v1/namespaces/ns/deployments/web/scale",
        "/api/v1/nodes/n1/proxy/stats/summary", "/api/v1/namespaces/ns", "/api/v1/namespaces/ns/finalize", "/api/v1/watch/namespaces/ns/pods",
        "/apis/rbac.authorization.k8s.io/v1/clusterroles", "/version", "/apis/apps/v1", "/api/v1/pods?fieldSelector=metadata.name%3Dfoo",
        "/api/v1/namespaces/ns/services/web:http/proxy/", "/", "/healthz",
    ];

    [Fact]
    public void Mutated_request_targets_never_throw_and_accepted_paths_parse_again_the_same()
    {
        var random = new Random(20250604);
        var (accepted, refused) = (0, 0);
        for (var i = 0; i < 6000; i++)
        {
            var method = Methods[random.Next(Methods.Length)];
            var target = i % 6 == 5 ? RandomText(random) : Mutate(random, Seeds[random.Next(Seeds.Length)]);

            var result = KubernetesRequestParser.Parse(method, target);

            if (result.IsAccepted)
            {
                accepted++;
                AssertAcceptedIsStable(method, target, result.Request);
            }
            else
            {
                refused++;
                Assert.Null(result.Request);
                Assert.False(string.IsNullOrEmpty(result.Refusal), target);
                Assert.True(result.Refusal.All(c => c is >= ' ' and < (char)0x7F), $"reason is not printable ASCII: {result.Refusal}");
            }
        }

        // Both outcomes must be exercised, or the properties above are checked on nothing.
        Assert.InRange(accepted, 600, 6000);
        Assert.InRange(refused, 600, 6000);
    }

    private static void AssertAcceptedIsStable(string method, string target, KubernetesRequest request)
    {
        Assert.StartsWith("/", request.Path, StringComparison.Ordinal);
        Assert.True(request.Path == "/" || !request.Path.Contains("//", StringComparison.Ordinal), request.Path);
        Assert.DoesNotContain("/./", request.Path + "/", StringComparison.Ordinal);
        Assert.DoesNotContain("/../", request.Path + "/", StringComparison.Ordinal);
        Assert.True(request.Path.All(c => c is > ' ' and < (char)0x7F and not ('%' or '\\' or '?' or '#')), request.Path);
        Assert.True(request.Verb.Length > 0, target);

        var query = target.IndexOf('?', StringComparison.Ordinal);
        var again = KubernetesRequestParser.Parse(method, request.Path + (query < 0 ? "" : target[query..]));
        Assert.Equal(request with { RawPath = "" }, again.Request! with { RawPath = "" });
    }

    private static string Mutate(Random random, string seed)
    {
        var text = new StringBuilder(seed);
        for (var edits = random.Next(1, 4); edits > 0; edits--)
        {
            var at = random.Next(text.Length + 1);
            switch (random.Next(4))
            {
                case 0:
                    text.Insert(at, Fragments[random.Next(Fragments.Length)]);
                    break;
                case 1 when at < text.Length:
                    text.Remove(at, Math.Min(random.Next(1, 6), text.Length - at));
                    break;
                case 2 when at < text.Length:
                    text[at] = (char)random.Next(0, 0x3000);
                    break;
                default:
                    var length = Math.Min(random.Next(1, 12), text.Length - Math.Min(at, text.Length));
                    text.Insert(at, text.ToString(Math.Min(at, text.Length), length));
                    break;
            }
        }

        return text.ToString();
    }

    private static string RandomText(Random random)
    {
        var chars = new char[random.Next(0, 80)];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = random.Next(4) == 0 ? (char)random.Next(0, 0x10000) : "/%.?&=ap2Fe5C0"[random.Next(14)];
        }

        return chars.Length > 0 && random.Next(2) == 0 ? "/" + new string(chars) : new string(chars);
    }
}
