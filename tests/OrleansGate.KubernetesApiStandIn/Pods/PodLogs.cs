using System.Threading.Channels;

namespace OrleansGate.KubernetesApiStandIn.Pods;

/// <summary>
/// Each pod's log text, and the followers (<c>logs -f</c>) waiting for more. A follower takes the text so far
/// and registers under one lock, so a line appended at any moment reaches it exactly once.
/// </summary>
internal sealed class PodLogs
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Namespace, string Pod), PodLog> _logs = [];

    public void Set(string ns, string pod, string text)
    {
        lock (_gate)
        {
            Log(ns, pod).Lines.Clear();
            Log(ns, pod).Lines.AddRange(SplitLines(text));
        }
    }

    public void Append(string ns, string pod, string line)
    {
        lock (_gate)
        {
            var log = Log(ns, pod);
            foreach (var one in SplitLines(line.EndsWith('\n') ? line : line + "\n"))
            {
                log.Lines.Add(one);
                foreach (var follower in log.Followers)
                {
                    follower.Writer.TryWrite(one);
                }
            }
        }
    }

    /// <summary>The lines so far; with <paramref name="follow"/>, also a reader of the lines still to come.</summary>
    public (List<string> Lines, LogFollower? Follower) Read(string ns, string pod, bool follow)
    {
        lock (_gate)
        {
            var log = Log(ns, pod);
            var lines = log.Lines.ToList();
            if (!follow)
            {
                return (lines, null);
            }

            var channel = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
            log.Followers.Add(channel);
            return (lines, new LogFollower(channel.Reader, () =>
            {
                lock (_gate)
                {
                    log.Followers.Remove(channel);
                }
            }));
        }
    }

    /// <summary>The pod is gone: its followers' streams end, as when a container stops; its text is forgotten.</summary>
    public void Remove(string ns, string pod)
    {
        lock (_gate)
        {
            if (_logs.Remove((ns, pod), out var log))
            {
                log.Followers.ForEach(f => f.Writer.TryComplete());
            }
        }
    }

    private PodLog Log(string ns, string pod)
    {
        if (!_logs.TryGetValue((ns, pod), out var log))
        {
            log = new PodLog();
            _logs[(ns, pod)] = log;
        }

        return log;
    }

    /// <summary>Lines with their line feeds, so the text is written back exactly as given.</summary>
    private static IEnumerable<string> SplitLines(string text)
    {
        var start = 0;
        while (start < text.Length)
        {
            var end = text.IndexOf('\n', start);
            end = end < 0 ? text.Length : end + 1;
            yield return text[start..end];
            start = end;
        }
    }

    private sealed class PodLog
    {
        public List<string> Lines { get; } = [];

        public List<Channel<string>> Followers { get; } = [];
    }
}
