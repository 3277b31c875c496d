using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace OrleansGate.KubernetesApiStandIn.Store;

internal sealed partial class ObjectStore
{
    /// <summary>
    /// Starts a watch. Without a resourceVersion (or "0") the existing objects come first as ADDED, as the
    /// real server does; with one, the changes after it are replayed from history and a version older than
    /// the history gives <see cref="ApiStatus.Expired"/>. Live changes follow until the subscription is disposed.
    /// </summary>
    public WatchSubscription Watch(StandInResource resource, string? ns, Selector selector, string? resourceVersion)
    {
        var events = Channel.CreateUnbounded<WatchEvent>(new UnboundedChannelOptions { SingleReader = true });
        var watcher = new Watcher(resource, ns, selector, events);
        lock (_gate)
        {
            if (string.IsNullOrEmpty(resourceVersion) || resourceVersion == "0")
            {
                foreach (var obj in Matching(resource, ns, selector))
                {
                    events.Writer.TryWrite(new WatchEvent(WatchEvent.Added, (JsonObject)obj.DeepClone()));
                }
            }
            else
            {
                if (!long.TryParse(resourceVersion, NumberStyles.None, CultureInfo.InvariantCulture, out var since))
                {
                    throw new ApiStatusException(ApiStatus.BadRequest($"invalid resourceVersion \"{resourceVersion}\""));
                }

                if (since < _historyFloor)
                {
                    throw new ApiStatusException(ApiStatus.Expired(resourceVersion));
                }

                foreach (var change in _history.Where(c => c.ResourceVersion > since && watcher.Sees(c.Key, c.Event.Object)))
                {
                    events.Writer.TryWrite(change.Event with { Object = (JsonObject)change.Event.Object.DeepClone() });
                }
            }

            _watchers.Add(watcher);
        }

        return new WatchSubscription(events.Reader, () =>
        {
            lock (_gate)
            {
                _watchers.Remove(watcher);
            }

            events.Writer.TryComplete();
        });
    }

    /// <summary>How many watches are open: lets a test wait until a client's watch has reached the server.</summary>
    public int WatcherCount
    {
        get
        {
            lock (_gate)
            {
                return _watchers.Count;
            }
        }
    }

    /// <summary>Called under the lock with every change: keeps it for replay and hands it to the watchers that see it.</summary>
    private void Publish(Change change)
    {
        _history.Enqueue(change);
        if (_history.Count > HistoryLength)
        {
            _historyFloor = _history.Dequeue().ResourceVersion;
        }

        foreach (var watcher in _watchers)
        {
            if (watcher.Sees(change.Key, change.Event.Object))
            {
                watcher.Events.Writer.TryWrite(change.Event with { Object = (JsonObject)change.Event.Object.DeepClone() });
            }
        }
    }
}
