using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using OrleansGate.Policy.Model;

namespace OrleansGate.Edge.Http;

/// <summary>
/// The connections to each HTTP target, made as its policy entry says: its CA (or system trust), its client certificate,
/// and its bearer token read from the file or variable the policy names (never from the agent). One pool per target and
/// policy entry; a token file is read again after <see cref="TokenFor"/> (projected service-account tokens rotate).
/// </summary>
public sealed class AgentHttpUpstreams : IDisposable
{
    public static readonly TimeSpan TokenFor = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<HttpTarget, Upstream> _upstreams = new();
    private readonly TimeProvider _time;

    public AgentHttpUpstreams(TimeProvider time) => _time = time;

    /// <summary>The pool and current bearer token (null: none) for <paramref name="target"/>.</summary>
    /// <exception cref="AgentHttpRefusal">502: the CA, certificate or token the policy names cannot be read (named, never shown).</exception>
    public (HttpMessageInvoker Invoker, string? Token) For(HttpTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var upstream = _upstreams.GetOrAdd(target, t => new Upstream(t, Create(t)));
        return (upstream.Invoker, upstream.Token(target, _time));
    }

    public void Dispose()
    {
        foreach (var upstream in _upstreams.Values)
        {
            upstream.Invoker.Dispose();
        }
    }

    private static HttpMessageInvoker Create(HttpTarget target)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = TimeSpan.FromSeconds(10),
        };
        if (target.InsecureSkipTlsVerify)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        }
        else if (Pem(target.CaFile, target.CaEnvironmentVariable, "CA") is { } caPem)
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPem(caPem);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
                {
                    return false; // a name mismatch or no certificate is never excused by a custom CA
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(roots);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(new X509Certificate2(certificate));
            };
        }

        if (target.ClientCertificateFile is { } certificateFile && target.ClientKeyFile is { } keyFile)
        {
            try
            {
                handler.SslOptions.ClientCertificates = [X509Certificate2.CreateFromPemFile(certificateFile, keyFile)];
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                throw new AgentHttpRefusal(502, $"target '{target.Name}': the client certificate {certificateFile} or its key {keyFile} cannot be read ({e.GetType().Name})");
            }
        }

        return new HttpMessageInvoker(handler);
    }

    private static string? Pem(string? file, string? variable, string what)
    {
        try
        {
            return file is not null ? File.ReadAllText(file)
                : variable is not null ? Environment.GetEnvironmentVariable(variable) ?? throw new AgentHttpRefusal(502, $"the {what} variable {variable} is not set")
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AgentHttpRefusal(502, $"the {what} file {file} cannot be read ({e.GetType().Name})");
        }
    }

    private sealed class Upstream(HttpTarget target, HttpMessageInvoker invoker)
    {
        private (string? Token, DateTimeOffset At)? _token;

        public HttpMessageInvoker Invoker { get; } = invoker;

        public string? Token(HttpTarget t, TimeProvider time)
        {
            if (_token is { } cached && time.GetUtcNow() - cached.At < TokenFor)
            {
                return cached.Token;
            }

            string? token;
            try
            {
                token = t.TokenFile is { } file ? File.ReadAllText(file).Trim()
                    : t.TokenEnvironmentVariable is { } variable ? Environment.GetEnvironmentVariable(variable)?.Trim()
                        ?? throw new AgentHttpRefusal(502, $"target '{target.Name}': the token variable {variable} is not set")
                    : null;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new AgentHttpRefusal(502, $"target '{target.Name}': the token file {t.TokenFile} cannot be read ({e.GetType().Name})");
            }

            _token = (token, time.GetUtcNow());
            return token;
        }
    }
}
