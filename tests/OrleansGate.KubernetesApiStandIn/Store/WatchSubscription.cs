using System.Threading.Channels;

namespace OrleansGate.KubernetesApiStandIn.Store;

/// <summary>An open watch: read <see cref="Events"/> until done, then dispose to unregister.</summary>
internal sealed class WatchSubscription(ChannelReader<WatchEvent> events, Action unsubscribe) : IDisposable
{
    public ChannelReader<WatchEvent> Events { get; } = events;

    public void Dispose() => unsubscribe();
}
