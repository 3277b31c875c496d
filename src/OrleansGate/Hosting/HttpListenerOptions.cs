namespace OrleansGate.Host.Hosting;

/// <summary>The HTTP listener for health and the development identity provider (section <c>OrleansGate:Http</c>).</summary>
public sealed class HttpListenerOptions
{
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>0 disables the HTTP listener.</summary>
    public int Port { get; set; } = 18080;
}
