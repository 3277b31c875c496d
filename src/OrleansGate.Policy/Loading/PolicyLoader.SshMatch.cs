using OrleansGate.Policy.Model;
using YamlDotNet.RepresentationModel;

namespace OrleansGate.Policy.Loading;

public static partial class PolicyLoader
{
    private sealed partial class Reader
    {
        private const string SshKeys = "commands, args, redirects, sudo";

        /// <summary><c>ssh: { commands: [ls, cat], args: ["/var/log/**"], redirects: [/dev/null], sudo: false }</c>.</summary>
        private SshMatch ReadSshMatch(YamlNode node)
        {
            if (node is not YamlMappingNode map)
            {
                throw Error(node, $"'ssh' must be a mapping ({SshKeys})");
            }

            var match = new SshMatch();
            foreach (var (keyNode, value) in map.Children)
            {
                var key = Key(keyNode);
                match = key switch
                {
                    "commands" => match with { Commands = NonEmpty(value, key, "a program such as ls or /usr/bin/ls") },
                    "args" => match with { Args = NonEmpty(value, key, "a glob such as /var/log/** or -l") },
                    "redirects" => match with { Redirects = NonEmpty(value, key, "a file glob such as /dev/null") },
                    "sudo" => match with { Sudo = Bool(value, key) },
                    _ => throw Error(keyNode, $"unknown ssh key '{key}' (expected {SshKeys})"),
                };
            }

            return match;
        }

        /// <summary>An empty list would read as "any" for a deny and "none" for an allow: neither is what it says.</summary>
        private List<string> NonEmpty(YamlNode node, string key, string example)
        {
            var items = Names(node, key);
            return items.Count > 0 ? items : throw Error(node, $"'{key}' needs at least one entry ({example}); leave it out instead");
        }
    }
}
