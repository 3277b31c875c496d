using OrleansGate.Policy.Model;
using YamlDotNet.RepresentationModel;

namespace OrleansGate.Policy.Loading;

public static partial class PolicyLoader
{
    /// <summary>The verbs the API server gives resource requests (its RequestInfo), and <c>*</c>.</summary>
    public static readonly IReadOnlyList<string> KubernetesVerbs = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "*"];

    /// <summary>The verbs of non-resource requests: the HTTP method in lower case, as the API server gives it, and <c>*</c>.</summary>
    public static readonly IReadOnlyList<string> KubernetesNonResourceVerbs = ["get", "head", "post", "put", "patch", "delete", "options", "*"];

    /// <summary>The methods an <c>http:</c> match may name, and <c>*</c>.</summary>
    public static readonly IReadOnlyList<string> HttpMethods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "*"];

    private sealed partial class Reader
    {
        private const string KubernetesKeys = "verbs, resources, subresources, namespaces, names, commands, non_resource_paths";

        /// <summary><c>kubernetes: { verbs, resources, subresources, namespaces, names, commands }</c>, or <c>{ verbs, non_resource_paths }</c>.</summary>
        private KubernetesMatch ReadKubernetesMatch(YamlNode node)
        {
            if (node is not YamlMappingNode map)
            {
                throw Error(node, $"'kubernetes' must be a mapping ({KubernetesKeys})");
            }

            var match = new KubernetesMatch();
            List<(YamlNode Node, string Text)> verbs = [];
            YamlNode? nonResourceKey = null, resourceKey = null, commandsKey = null;
            foreach (var (keyNode, value) in map.Children)
            {
                var key = Key(keyNode);
                switch (key)
                {
                    case "verbs": verbs = Items(value, key); break;
                    case "resources": match = match with { Resources = [.. Items(value, key).Select(ResourcePattern)] }; break;
                    case "subresources": match = match with { Subresources = [.. Items(value, key).Select(Subresource)] }; break;
                    case "namespaces": match = match with { Namespaces = Names(value, key) }; break;
                    case "names": match = match with { Names = Names(value, key) }; break;
                    case "commands": (match, commandsKey) = (match with { Commands = Commands(value, key) }, keyNode); break;
                    case "non_resource_paths": match = match with { NonResourcePaths = Paths(value, key, "/version or /healthz*", required: true) }; break;
                    default: throw Error(keyNode, $"unknown kubernetes key '{key}' (expected {KubernetesKeys})");
                }

                if (key == "non_resource_paths")
                {
                    nonResourceKey = keyNode;
                }
                else if (key != "verbs")
                {
                    resourceKey ??= keyNode;
                }
            }

            if (nonResourceKey is not null && resourceKey is not null)
            {
                throw Error(nonResourceKey, $"'non_resource_paths' is for requests without a resource (/version, /healthz), so it cannot stand with '{Key(resourceKey)}'; write two rules");
            }

            if (commandsKey is not null && !NamesExecOnly(match))
            {
                throw Error(commandsKey, "'commands' decides exec requests alone: the same kubernetes match must name pods/exec in 'resources' (or exec in 'subresources') and no other subresource; write attach and the others in another rule");
            }

            var known = match.IsNonResource ? KubernetesNonResourceVerbs : KubernetesVerbs;
            foreach (var (verbNode, verb) in verbs)
            {
                if (!known.Contains(verb))
                {
                    throw Error(verbNode, match.IsNonResource
                        ? $"verb '{verb}' is not one of non-resource requests (expected the HTTP method in lower case: {string.Join(", ", known)})"
                        : $"unknown Kubernetes verb '{verb}' (expected {string.Join(", ", known)})");
                }
            }

            return match with { Verbs = [.. verbs.Select(v => v.Text)] };
        }

        /// <summary>
        /// Whether the match's resources take in pods/exec (its other keys aside) and name no other subresource. A rule with
        /// <c>commands</c> matches exec alone, so a deny naming <c>pods/attach</c> or <c>pods/*</c> beside it would silently
        /// not refuse attach.
        /// </summary>
        private static bool NamesExecOnly(KubernetesMatch match)
        {
            var exec = new KubernetesRequestFacts { IsResourceRequest = true, Verb = "create", Path = "", Resource = "pods", Subresource = "exec" };
            return Evaluation.RequestRules.Covers(match with { Verbs = [], Namespaces = [], Names = [], Commands = [] }, exec)
                && match.Subresources.All(s => s == "exec")
                && (match.Subresources.Count > 0 || match.Resources.All(r => r.Segments is [_, "exec"]));
        }

        /// <summary>Program globs; an empty list is an error, not "any" (leaving <c>commands</c> out is).</summary>
        private List<string> Commands(YamlNode node, string key)
        {
            var commands = Names(node, key);
            return commands.Count > 0
                ? commands
                : throw Error(node, $"'{key}' needs at least one program (such as echo or /usr/bin/ls); leave it out to allow any command");
        }

        /// <summary><c>http: { methods: [GET], paths: ["/v1/invoices/*"] }</c>.</summary>
        private HttpMatch ReadHttpMatch(YamlNode node)
        {
            if (node is not YamlMappingNode map)
            {
                throw Error(node, "'http' must be a mapping (methods, paths)");
            }

            var match = new HttpMatch();
            foreach (var (keyNode, value) in map.Children)
            {
                var key = Key(keyNode);
                match = key switch
                {
                    "methods" => match with { Methods = [.. Items(value, key).Select(Method)] },
                    "paths" => match with { Paths = Paths(value, key, "/v1/invoices/*", required: false) },
                    _ => throw Error(keyNode, $"unknown http key '{key}' (expected methods, paths)"),
                };
            }

            return match;
        }

        /// <summary>
        /// <c>[group/]resource[/subresource]</c> in lower case, as the API names them (a kind such as <c>Deployment</c>
        /// would match nothing); globs within a segment.
        /// </summary>
        private KubernetesResourcePattern ResourcePattern((YamlNode Node, string Text) item)
        {
            var segments = item.Text.Split('/');
            return segments.Length <= 3 && segments.All(IsApiName)
                ? new KubernetesResourcePattern(item.Text, segments)
                : throw Error(item.Node, $"resource '{item.Text}' must be [group/]resource[/subresource] in lower case, as the API names them (pods, apps/deployments, pods/exec, apps/deployments/scale), not a kind such as Deployment");
        }

        private string Subresource((YamlNode Node, string Text) item) =>
            IsApiName(item.Text) ? item.Text : throw Error(item.Node, $"subresource '{item.Text}' must be one name in lower case, such as exec or log");

        /// <summary>A resource, group or subresource name (lower-case letters, digits, '-', '.'), or a glob of one.</summary>
        private static bool IsApiName(string text) =>
            text.Length > 0 && text.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '.' or '*' or '?');

        private List<string> Names(YamlNode node, string key)
        {
            var items = Items(node, key);
            foreach (var (itemNode, text) in items)
            {
                if (string.IsNullOrWhiteSpace(text))
                {
                    throw Error(itemNode, $"'{key}' cannot have an empty entry");
                }
            }

            return [.. items.Select(i => i.Text)];
        }

        /// <summary>Path globs: each starts with '/' (or is <c>*</c>). <paramref name="required"/>: an empty list is an error, not "any".</summary>
        private List<string> Paths(YamlNode node, string key, string example, bool required)
        {
            var items = Items(node, key);
            if (required && items.Count == 0)
            {
                throw Error(node, $"'{key}' needs at least one path (such as {example})");
            }

            foreach (var (itemNode, text) in items)
            {
                if (text != "*" && !text.StartsWith('/'))
                {
                    throw Error(itemNode, $"path '{text}' must start with / (such as {example}), or be *");
                }
            }

            return [.. items.Select(i => i.Text)];
        }

        private string Method((YamlNode Node, string Text) item)
        {
            var method = item.Text.ToUpperInvariant();
            return HttpMethods.Contains(method)
                ? method
                : throw Error(item.Node, $"unknown HTTP method '{item.Text}' (expected {string.Join(", ", HttpMethods)})");
        }
    }
}
