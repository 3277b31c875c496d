namespace OrleansGate.Tests.DevIdp;

/// <summary>Passes requests on to the real network, counting them by path.</summary>
internal sealed class CountingHandler : DelegatingHandler
{
    private readonly List<string> _paths = [];

    public CountingHandler()
        : base(new SocketsHttpHandler { AllowAutoRedirect = false })
    {
    }

    public int Count(string pathSuffix)
    {
        lock (_paths)
        {
            return _paths.Count(p => p.EndsWith(pathSuffix, StringComparison.Ordinal));
        }
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        lock (_paths)
        {
            _paths.Add(request.RequestUri!.AbsolutePath);
        }

        return base.SendAsync(request, cancellationToken);
    }
}
