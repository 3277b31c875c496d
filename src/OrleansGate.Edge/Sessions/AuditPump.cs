using OrleansGate.Audit;
using OrleansGate.Model;

namespace OrleansGate.Edge.Sessions;

/// <summary>
/// Appends one session's records to its audit chain, in order, one append at a time: what queues while an append is in
/// flight goes in the next one, together (a chain never has two appends in flight, so its links never race). A record
/// someone waits for (<see cref="AppendAsync"/>: a statement's decision) starts an append at once; a record nobody waits
/// for (<see cref="AppendLater"/>: a completion) rides with the next one, or goes on its own once
/// <see cref="LaterCount"/> wait or the oldest has waited <see cref="LaterAge"/>.
/// </summary>
/// <remarks>
/// A failed append fails the records waited for (their requests are refused) and keeps the others, first in line, for the
/// next append: sent again as they were, so a chain whose last append may have landed recognises them (AuditChain).
/// </remarks>
public sealed class AuditPump
{
    /// <summary>Completions waiting at most before they are written on their own.</summary>
    public const int LaterCount = 64;

    public static readonly TimeSpan LaterAge = TimeSpan.FromSeconds(1);

    /// <summary>Records nobody waits for kept at most while they cannot be written; beyond it they are dropped (and counted).</summary>
    public const int MaxKept = 10_000;

    private readonly AuditChain _chain;
    private readonly TimeProvider _time;
    private readonly Action<bool> _observed;
    private readonly Lock _lock = new();
    private readonly List<Entry> _queue = [];
    private readonly ITimer _timer;
    private bool _appending;
    private bool _closed;
    private int _later;
    private long _dropped;

    /// <param name="observed">Told whether each append was written (the edge's view of the audit store's health).</param>
    public AuditPump(AuditChain chain, TimeProvider time, Action<bool> observed)
    {
        _chain = chain;
        _time = time;
        _observed = observed;
        _timer = time.CreateTimer(static s => ((AuditPump)s!).Due(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Records nobody waits for that could not be written yet (executions are refused while there are any).</summary>
    public bool HasUnwritten { get; private set; }

    /// <summary>Records queued and not taken by an append yet (for the edge's queue-depth gauge).</summary>
    public int Queued
    {
        get
        {
            lock (_lock)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Records nobody waits for that were dropped because too many could not be written.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Makes <paramref name="record"/> durable as the chain's next link; returns its number in the chain.</summary>
    /// <exception cref="AuditUnavailableException">It was not (or may not have been) written; the request must be refused.</exception>
    public Task<long> AppendAsync(AuditRecord record)
    {
        var entry = new Entry(record, new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (_lock)
        {
            if (_closed)
            {
                return Task.FromException<long>(new AuditUnavailableException("the session is closed"));
            }

            _queue.Add(entry);
        }

        Kick(urgent: true);
        return entry.Waiter!.Task;
    }

    /// <summary>Queues <paramref name="record"/> to be written with the next append (it is kept until it is written).</summary>
    public void AppendLater(AuditRecord record)
    {
        bool due;
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            if (_later >= MaxKept)
            {
                Interlocked.Increment(ref _dropped);
                return;
            }

            _queue.Add(new Entry(record, null));
            due = ++_later >= LaterCount;
            if (_later == 1)
            {
                _timer.Change(LaterAge, Timeout.InfiniteTimeSpan);
            }
        }

        if (due)
        {
            Kick(urgent: true);
        }
    }

    /// <summary>
    /// Completes when the session may run another request whose record nobody waits for (an execution, recorded by its
    /// completion): at once, unless <see cref="LaterCount"/> such records already wait while an append is in flight; then
    /// when that append has ended. So when the store fails mid-append, at most twice <see cref="LaterCount"/> requests of
    /// a session ran before it refuses them (the append's records, and those queued behind it).
    /// </summary>
    public Task RoomForLaterAsync()
    {
        lock (_lock)
        {
            return _appending && _later >= LaterCount && _drain is { IsCompleted: false } drain ? drain : Task.CompletedTask;
        }
    }

    /// <summary>Tries to write what is kept now (an execution refused while the store was failing: the store may be back).</summary>
    public void Retry() => Due();

    /// <summary>
    /// The session's last append: <paramref name="last"/> (its logout) with everything still queued; nothing is accepted
    /// after it. Returns the records when they could not be written (for the audit backlog), else an empty list.
    /// </summary>
    public async Task<IReadOnlyList<AuditRecord>> CloseAsync(AuditRecord last)
    {
        Task? running;
        lock (_lock)
        {
            _closed = true;
            running = _appending ? _drain : null;
        }

        if (running is not null)
        {
            await running.ConfigureAwait(false);
        }

        await _timer.DisposeAsync().ConfigureAwait(false);
        Entry[] entries;
        lock (_lock)
        {
            // Deferred records (reads the target ran, whose result was never released) are recorded too.
            entries = [.. _queue.Where(e => e.Waiter is null || e is Deferred)];
            foreach (var waited in _queue.Where(e => e.Waiter is not null))
            {
                waited.Waiter!.TrySetException(new AuditUnavailableException("the session is closed"));
            }

            _queue.Clear();
            _later = 0;
        }

        try
        {
            // Completions that name a deferred record need its number: that record is written first, then they follow.
            if (Array.FindLastIndex(entries, e => e is Deferred { HasAfter: true }) is var split and >= 0)
            {
                var first = entries[..(split + 1)];
                var last1 = await _chain.AppendAsync([.. first.Select(e => e.Record)]).ConfigureAwait(false);
                var following = new List<AuditRecord>();
                for (var i = 0; i < first.Length; i++)
                {
                    if (first[i] is Deferred written)
                    {
                        following.AddRange(written.TakeAfter(last1 - (first.Length - 1 - i)));
                    }
                }

                entries = entries[(split + 1)..];
                await _chain.AppendAsync([.. following, .. entries.Select(e => e.Record), last]).ConfigureAwait(false);
            }
            else
            {
                await _chain.AppendAsync([.. entries.Select(e => e.Record), last]).ConfigureAwait(false);
            }

            _observed(true);
            return [];
        }
        catch (AuditUnavailableException)
        {
            _observed(false);

            // What names a deferred record's number cannot be kept without it: counted as dropped (and logged).
            Interlocked.Add(ref _dropped, entries.OfType<Deferred>().Sum(d => d.TakeAfter(0).Count));
            return [.. entries.Select(e => e.Record), last];
        }
    }

    /// <summary>The chain, for the audit backlog after a failed close (nothing else appends to it then).</summary>
    public AuditChain Chain => _chain;

    private Task? _drain;

    /// <summary>An entry someone waits for now: a record waited for, or a deferred one that was flushed (and not failed yet).</summary>
    private static bool Urgent(Entry e) => e.Waiter is { Task.IsCompleted: false } && (e is not Deferred d || d.Flushed);

    private void Due()
    {
        _due = true;
        Kick(urgent: true);
    }

    // Set by the age timer (and Retry): the records nobody waits for go now, even alone.
    private volatile bool _due;

    private void Kick(bool urgent, Deferred? deferred = null)
    {
        lock (_lock)
        {
            if (deferred is not null)
            {
                deferred.Flushed = true;
            }

            if (_closed || _appending || _queue.Count == 0 || !urgent)
            {
                return;
            }

            _appending = true;
            _drain = DrainAsync();
        }
    }

    /// <summary>Queues a record nobody waits for; the caller holds the lock.</summary>
    private void QueueLater(AuditRecord record)
    {
        // Also while closing: a running append's deferred records queue what follows them, and the close takes it.
        if (_later >= MaxKept)
        {
            Interlocked.Increment(ref _dropped);
            return;
        }

        _queue.Add(new Entry(record, null));
        if (++_later == 1)
        {
            _timer.Change(LaterAge, Timeout.InfiniteTimeSpan);
        }
    }

    private async Task DrainAsync()
    {
        // Not on the caller's stack: the caller goes on (forwarding, reading) while its record is written.
        await Task.Yield();
        while (true)
        {
            Entry[] batch;
            lock (_lock)
            {
                // Only what someone waits for starts an append; records nobody waits for ride along or wait for their time.
                if (_queue.Count == 0 || (!_queue.Exists(Urgent) && _later < LaterCount && !_due))
                {
                    _appending = false;
                    return;
                }

                _due = false;
                batch = [.. _queue];
                _queue.Clear();
                foreach (var taken in batch)
                {
                    taken.Taken = true;
                }

                _later = 0;
                _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }

            var records = new AuditRecord[batch.Length];
            for (var i = 0; i < batch.Length; i++)
            {
                records[i] = batch[i].Record;
            }

            try
            {
                var last = await _chain.AppendAsync(records).ConfigureAwait(false);
                HasUnwritten = false;
                _observed(true);
                for (var i = 0; i < batch.Length; i++)
                {
                    var seq = last - (batch.Length - 1 - i);
                    if (batch[i] is Deferred deferred)
                    {
                        lock (_lock)
                        {
                            deferred.Written(seq);
                        }
                    }

                    batch[i].Waiter?.TrySetResult(seq);
                }
            }
            catch (Exception caught) when (caught is not OutOfMemoryException)
            {
                // Whatever failed (the store, the cluster on the way to it), the records are not known to be written.
                var e = caught as AuditUnavailableException ?? new AuditUnavailableException($"audit store unavailable: {caught.Message}", caught);
                _observed(false);

                // A deferred record is kept too: its read ran at the target (its result is withheld), so it is recorded once the store answers.
                var kept = Array.FindAll(batch, entry => entry.Waiter is null || entry is Deferred);
                lock (_lock)
                {
                    // Kept first, as they were sent: the chain recognises them if the failed append landed after all.
                    _queue.InsertRange(0, kept);
                    _later += kept.Length;
                    HasUnwritten = kept.Length > 0;

                    // Only now are the waiters told (their continuations run asynchronously, outside this lock): whoever
                    // learns that its record failed sees what was kept.
                    foreach (var entry in batch)
                    {
                        entry.Waiter?.TrySetException(e);
                    }

                    if (!_queue.Exists(Urgent))
                    {
                        // Nothing waits: retried by the next request, Retry, or the age timer, not in a loop.
                        if (_later > 0)
                        {
                            _timer.Change(LaterAge, Timeout.InfiniteTimeSpan);
                        }

                        _appending = false;
                        return;
                    }
                }
            }
        }
    }

    /// <summary>
    /// Queues <paramref name="record"/> for a request that was forwarded before its record is durable (a pure read, whose
    /// result is held until it is): nothing is appended for it yet. Its result decides when — <see cref="Deferred.Flush"/>
    /// once the request's answer is complete (the completion may then travel in the record itself), or when too much of
    /// its answer waits — or a record queued after it that someone waits for takes it along, in order.
    /// </summary>
    public Deferred Defer(AuditRecord record)
    {
        var deferred = new Deferred(this, record);
        lock (_lock)
        {
            if (_closed)
            {
                deferred.Waiter!.TrySetException(new AuditUnavailableException("the session is closed"));
                return deferred;
            }

            _queue.Add(deferred);
            if (_later == 0)
            {
                // A read the target takes long to answer is recorded within the age bound all the same.
                _timer.Change(LaterAge, Timeout.InfiniteTimeSpan);
            }
        }

        return deferred;
    }

    /// <summary>A queued record, and who waits for it.</summary>
    public class Entry
    {
        internal Entry(AuditRecord record, TaskCompletionSource<long>? waiter)
        {
            Record = record;
            Waiter = waiter;
        }

        /// <summary>Replaced only while the entry waits in the queue (a deferred record taking its completion).</summary>
        public AuditRecord Record { get; internal set; }

        internal TaskCompletionSource<long>? Waiter { get; }

        /// <summary>Set once the entry was taken into an append: its record can no longer change.</summary>
        internal bool Taken { get; set; }
    }

    /// <summary>A record queued by <see cref="Defer"/>: its append, its number once durable, and what must follow it.</summary>
    public sealed class Deferred : Entry
    {
        private readonly AuditPump _pump;
        private List<AuditRecord>? _after;

        internal Deferred(AuditPump pump, AuditRecord record)
            : base(record, new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously))
        {
            _pump = pump;
        }

        /// <summary>The record's number in the chain once it is durable; faults when it could not be written.</summary>
        public Task<long> Durable => Waiter!.Task;

        /// <summary>
        /// Replaces the record (with one that also says how the request ended) unless it is already being written;
        /// false then (the completion is recorded on its own, after it).
        /// </summary>
        public bool TryReplace(AuditRecord record)
        {
            lock (_pump._lock)
            {
                if (Taken)
                {
                    return false;
                }

                Record = record;
                return true;
            }
        }

        /// <summary>
        /// Queues a record that must follow this one and name its number (a completion of a later execution): written
        /// with the session's next append once this one is durable.
        /// </summary>
        public void After(Func<long, AuditRecord> record)
        {
            ArgumentNullException.ThrowIfNull(record);
            lock (_pump._lock)
            {
                if (Durable.IsCompletedSuccessfully)
                {
                    _pump.QueueLater(record(Durable.Result));
                    return;
                }

                (_after ??= []).Add(record(0));
            }
        }

        /// <summary>Starts its append now (its answer is complete, or too much of it waits).</summary>
        public void Flush() => _pump.Kick(urgent: true, deferred: this);

        /// <summary>Its append was asked for (<see cref="Flush"/>).</summary>
        internal bool Flushed { get; set; }

        /// <summary>Records wait for its number (<see cref="After"/>).</summary>
        internal bool HasAfter => _after is { Count: > 0 };

        /// <summary>Called by the pump once it is durable: the records that had to wait for its number are queued.</summary>
        internal void Written(long seq)
        {
            foreach (var record in TakeAfter(seq))
            {
                _pump.QueueLater(record);
            }
        }

        /// <summary>The records that wait for its number, given it (<paramref name="seq"/>); they no longer wait.</summary>
        internal List<AuditRecord> TakeAfter(long seq)
        {
            if (_after is not { } after)
            {
                return [];
            }

            _after = null;
            return after.ConvertAll(r => r with { CompletesSessionSeq = seq });
        }
    }
}
