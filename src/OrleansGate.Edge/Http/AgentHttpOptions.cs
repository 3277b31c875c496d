using OrleansGate.Edge.Postgres;

namespace OrleansGate.Edge.Http;

/// <summary>
/// The agent-facing HTTP listener (section <c>OrleansGate:AgentHttp</c>): the Kubernetes API and plain HTTP targets of
/// the policy, at <c>/k8s/TARGET/…</c> and <c>/http/TARGET/…</c>. Separate from the health and admin listener.
/// </summary>
public sealed class AgentHttpOptions
{
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>0 (the default) turns the listener off.</summary>
    public int Port { get; set; }

    /// <summary>PEM certificate and key presented to agents; required unless <see cref="Insecure"/>.</summary>
    public PostgresTlsOptions Tls { get; set; } = new();

    /// <summary>Plain HTTP, knowingly (local demos and tests): tokens then cross the network in clear.</summary>
    public bool Insecure { get; set; }

    /// <summary>Request bodies over this are refused with 413 before anything is forwarded (the API server's own cap is 3 MiB).</summary>
    public long MaxRequestBodyBytes { get; set; } = 3 * 1024 * 1024;

    /// <summary>How long an agent's HTTP session stays open without a request (it also ends at its token's expiry).</summary>
    public TimeSpan IdleSessionTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Why these settings cannot be used, or null.</summary>
    public string? Problem() =>
        Port is < 0 or > 65535 ? $"OrleansGate:AgentHttp:Port {Port} is outside 0-65535"
        : Port != 0 && !Insecure && !Tls.IsConfigured ? "OrleansGate:AgentHttp:Tls:CertificatePath and KeyPath are not set: configure TLS for the agent HTTP listener, or set OrleansGate:AgentHttp:Insecure=true knowingly"
        : MaxRequestBodyBytes is < 1024 or > 64L * 1024 * 1024 ? $"OrleansGate:AgentHttp:MaxRequestBodyBytes {MaxRequestBodyBytes} is outside 1 KiB-64 MiB"
        : IdleSessionTimeout < TimeSpan.FromSeconds(10) ? "OrleansGate:AgentHttp:IdleSessionTimeout must be at least 00:00:10"
        : null;
}
