using System.Threading.Channels;

namespace OrleansGate.KubernetesApiStandIn.Pods;

/// <summary>The lines appended after a follower registered; dispose to stop receiving them.</summary>
internal sealed class LogFollower(ChannelReader<string> lines, Action unregister) : IDisposable
{
    public ChannelReader<string> Lines { get; } = lines;

    public void Dispose() => unregister();
}
