using OrleansGate.Policy.Model;
using YamlDotNet.RepresentationModel;

namespace OrleansGate.Policy.Loading;

public static partial class PolicyLoader
{
    private sealed partial class Reader
    {
        private const string HttpTargetKeys =
            "kind, url, ca_file, ca_env, token_file, token_env, client_certificate_file, client_key_file, insecure_skip_tls_verify, insecure_http";

        /// <summary>A target of kind kubernetes or http: where it is, whom to trust, and the gateway's own credential, by reference.</summary>
        private HttpTarget ReadHttpTarget(string name, YamlNode nameNode, YamlMappingNode map, HttpTargetKind kind)
        {
            Uri? url = null;
            YamlNode? urlNode = null, insecureHttpNode = null;
            string? caFile = null, caEnv = null, tokenFile = null, tokenEnv = null, certificateFile = null, keyFile = null;
            bool skipVerify = false, insecureHttp = false;
            foreach (var (keyNode, value) in map.Children)
            {
                var key = Key(keyNode);
                switch (key)
                {
                    case "kind": break; // read by TargetKind
                    case "url": (url, urlNode) = (Url(value, name), value); break;
                    case "ca_file": caFile = Reference(value, key, name); break;
                    case "ca_env": caEnv = Reference(value, key, name); break;
                    case "token_file": tokenFile = Reference(value, key, name); break;
                    case "token_env": tokenEnv = Reference(value, key, name); break;
                    case "client_certificate_file": certificateFile = Reference(value, key, name); break;
                    case "client_key_file": keyFile = Reference(value, key, name); break;
                    case "insecure_skip_tls_verify": skipVerify = Bool(value, key); break;
                    case "insecure_http": (insecureHttp, insecureHttpNode) = (Bool(value, key), value); break;
                    case "token" or "password" or "bearer_token" or "client_key_data":
                        // The value is never echoed: the line is enough to find it.
                        throw Error(keyNode, "inline credentials are not accepted in policy files; use token_env or token_file (or client_certificate_file and client_key_file)");
                    default:
                        throw Error(keyNode, $"unknown key '{key}' for a target of kind {KindName(kind)} (expected {HttpTargetKeys})");
                }
            }

            if (url is null)
            {
                throw Error(map, $"target '{name}' needs a 'url'");
            }

            var plainHttp = url.Scheme == Uri.UriSchemeHttp;
            if (plainHttp && !insecureHttp)
            {
                throw Error(urlNode!, $"target '{name}': url is plain http; use https, or set insecure_http: true to accept that anyone on the path can read and change the traffic");
            }

            if (!plainHttp && insecureHttp)
            {
                throw Error(insecureHttpNode!, $"target '{name}': insecure_http is only for an http:// url");
            }

            if (plainHttp && (skipVerify || (caFile ?? caEnv ?? certificateFile ?? keyFile) is not null))
            {
                throw Error(map, $"target '{name}': ca_file, ca_env, client certificates and insecure_skip_tls_verify are TLS settings, and its url is plain http");
            }

            Exclusive(caFile, "ca_file", caEnv, "ca_env");
            Exclusive(tokenFile, "token_file", tokenEnv, "token_env");
            if (skipVerify && (caFile ?? caEnv) is not null)
            {
                throw Error(map, $"target '{name}' gives a CA ({(caFile is not null ? "ca_file" : "ca_env")}) and insecure_skip_tls_verify: true; give one");
            }

            if ((certificateFile is null) != (keyFile is null))
            {
                throw Error(map, certificateFile is null
                    ? $"target '{name}' gives client_key_file without client_certificate_file"
                    : $"target '{name}' gives client_certificate_file without client_key_file");
            }

            if ((tokenFile ?? tokenEnv) is not null && certificateFile is not null)
            {
                throw Error(map, $"target '{name}' gives both a token ({(tokenFile is not null ? "token_file" : "token_env")}) and a client certificate; give one credential");
            }

            return new HttpTarget
            {
                Name = name,
                Kind = kind,
                Url = url,
                CaFile = caFile,
                CaEnvironmentVariable = caEnv,
                TokenFile = tokenFile,
                TokenEnvironmentVariable = tokenEnv,
                ClientCertificateFile = certificateFile,
                ClientKeyFile = keyFile,
                InsecureSkipTlsVerify = skipVerify,
                InsecureHttp = insecureHttp,
                Line = (int)nameNode.Start.Line,
            };

            void Exclusive(string? first, string firstKey, string? second, string secondKey)
            {
                if (first is not null && second is not null)
                {
                    throw Error(map, $"target '{name}' gives both {firstKey} and {secondKey}; give one");
                }
            }
        }

        /// <summary>
        /// An absolute http(s) URL with a host and neither credentials, query nor fragment. Never echoed in an error: a URL
        /// written with <c>user:password@</c> or a token in its query would put the secret in the message.
        /// </summary>
        private Uri Url(YamlNode node, string target)
        {
            var text = Scalar(node, "url");
            if (!Uri.TryCreate(text, UriKind.Absolute, out var url)
                || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp)
                || url.Host.Length == 0)
            {
                throw Error(node, $"target '{target}': url must be an absolute https:// URL with a host");
            }

            if (url.UserInfo.Length > 0)
            {
                throw Error(node, $"target '{target}': url must not carry credentials (user:password@); use token_env or token_file");
            }

            if (url.Query.Length > 0 || url.Fragment.Length > 0)
            {
                throw Error(node, $"target '{target}': url must not have a query or a fragment");
            }

            return url;
        }

        /// <summary>A file path or an environment variable's name: a reference, so it cannot be empty.</summary>
        private string Reference(YamlNode node, string key, string target)
        {
            var text = Scalar(node, key);
            return string.IsNullOrWhiteSpace(text) ? throw Error(node, $"target '{target}' has an empty {key}") : text;
        }

        private static string KindName(HttpTargetKind kind) => kind == HttpTargetKind.Kubernetes ? "kubernetes" : "http";
    }
}
