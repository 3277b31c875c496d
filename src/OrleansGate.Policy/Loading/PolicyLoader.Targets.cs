using System.Globalization;
using OrleansGate.Policy.Model;
using YamlDotNet.RepresentationModel;

namespace OrleansGate.Policy.Loading;

public static partial class PolicyLoader
{
    private sealed partial class Reader
    {
        /// <summary>
        /// <c>targets:</c>: name → connection; credentials only by reference (a duplicate name is a YAML error already).
        /// PostgreSQL targets (no <c>kind</c>, or <c>kind: postgres</c>) and HTTP targets (<c>kind: kubernetes</c> or
        /// <c>http</c>) and SSH targets (<c>kind: ssh</c>) come back apart, names unique across all.
        /// </summary>
        public (Dictionary<string, PolicyTarget> Postgres, Dictionary<string, HttpTarget> Http, Dictionary<string, SshTarget> Ssh) Targets(YamlNode node)
        {
            if (node is not YamlMappingNode map)
            {
                throw Error(node, "'targets' must be a mapping of target name to connection");
            }

            var targets = new Dictionary<string, PolicyTarget>(StringComparer.Ordinal);
            var httpTargets = new Dictionary<string, HttpTarget>(StringComparer.Ordinal);
            var sshTargets = new Dictionary<string, SshTarget>(StringComparer.Ordinal);
            foreach (var (keyNode, value) in map.Children)
            {
                var name = Key(keyNode);
                if (string.IsNullOrWhiteSpace(name))
                {
                    throw Error(keyNode, "a target needs a name");
                }

                switch (TargetKind(name, value))
                {
                    case "postgres": targets.Add(name, Target(name, keyNode, value)); break;
                    case "ssh": sshTargets.Add(name, ReadSshTarget(name, keyNode, (YamlMappingNode)value)); break;
                    case "kubernetes": httpTargets.Add(name, ReadHttpTarget(name, keyNode, (YamlMappingNode)value, HttpTargetKind.Kubernetes)); break;
                    default: httpTargets.Add(name, ReadHttpTarget(name, keyNode, (YamlMappingNode)value, HttpTargetKind.Http)); break;
                }
            }

            return (targets, httpTargets, sshTargets);
        }

        /// <summary>The target's <c>kind</c>, wherever it stands in the mapping: postgres when it gives none, as before kinds existed.</summary>
        private string TargetKind(string name, YamlNode node)
        {
            if (node is not YamlMappingNode map)
            {
                return "postgres"; // Target() says what a target must be.
            }

            foreach (var (keyNode, value) in map.Children)
            {
                if (Key(keyNode) == "kind")
                {
                    return Scalar(value, "kind") switch
                    {
                        "postgres" => "postgres",
                        "kubernetes" => "kubernetes",
                        "http" => "http",
                        "ssh" => "ssh",
                        var other => throw Error(value, $"target '{name}': kind must be postgres, kubernetes, http or ssh, not '{other}'"),
                    };
                }
            }

            return "postgres";
        }

        private PolicyTarget Target(string name, YamlNode nameNode, YamlNode node)
        {
            if (node is not YamlMappingNode map)
            {
                throw Error(node, $"target '{name}' must be a mapping (host, port, database, username, password_env or password_file)");
            }

            string? host = null, database = null, username = null, passwordEnv = null, passwordFile = null;
            var port = 5432;
            foreach (var (keyNode, value) in map.Children)
            {
                var key = Key(keyNode);
                switch (key)
                {
                    case "kind": break; // read by TargetKind
                    case "host": host = Scalar(value, key); break;
                    case "port": port = Port(value, name); break;
                    case "database": database = Scalar(value, key); break;
                    case "username": username = Scalar(value, key); break;
                    case "password_env": passwordEnv = Scalar(value, key); break;
                    case "password_file": passwordFile = Scalar(value, key); break;
                    case "password":
                        // The value is never echoed: the line is enough to find it.
                        throw Error(keyNode, "inline passwords are not accepted in policy files; use password_env or password_file");
                    default:
                        throw Error(keyNode, $"unknown target key '{key}' (expected kind, host, port, database, username, password_env, password_file)");
                }
            }

            Require(host, "host");
            Require(database, "database");
            Require(username, "username");
            if (passwordEnv is not null && passwordFile is not null)
            {
                throw Error(node, $"target '{name}' gives both password_env and password_file; give one");
            }

            if (passwordEnv is { Length: 0 } || passwordFile is { Length: 0 })
            {
                throw Error(node, $"target '{name}' has an empty {(passwordEnv is not null ? "password_env" : "password_file")}");
            }

            return new PolicyTarget
            {
                Name = name,
                Host = host!,
                Port = port,
                Database = database!,
                Username = username!,
                PasswordEnvironmentVariable = passwordEnv,
                PasswordFile = passwordFile,
                Line = (int)nameNode.Start.Line,
            };

            void Require(string? text, string key)
            {
                if (string.IsNullOrWhiteSpace(text))
                {
                    throw Error(node, $"target '{name}' needs a '{key}'");
                }
            }
        }

        private int Port(YamlNode node, string target)
        {
            var text = Scalar(node, "port");
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= 65535
                ? port
                : throw Error(node, $"target '{target}': port must be a number from 1 to 65535, not '{text}'");
        }
    }
}
