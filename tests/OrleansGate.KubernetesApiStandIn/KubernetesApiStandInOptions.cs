using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace OrleansGate.KubernetesApiStandIn;

/// <summary>How a <see cref="KubernetesApiStandIn"/> starts.</summary>
public sealed class KubernetesApiStandInOptions
{
    /// <summary>The one bearer token accepted: the gateway's own upstream service-account token. Random by default.</summary>
    public string BearerToken { get; init; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    /// <summary>Also authenticate requests by a client certificate issued by
    /// <see cref="KubernetesApiStandIn.IssueClientCertificate"/>. Off: the TLS handshake asks for none.</summary>
    public bool AcceptClientCertificates { get; init; }

    /// <summary>Creation times, table ages and watch timeouts read this clock.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Namespaces that exist at start.</summary>
    public IReadOnlyList<string> Namespaces { get; init; } = ["default", "kube-system"];

    /// <summary>Where the stand-in's own log goes (request failures, exec sessions); nowhere by default.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}
