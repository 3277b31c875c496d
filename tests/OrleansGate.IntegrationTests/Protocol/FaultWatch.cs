using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Logging;
using OrleansGate.IntegrationTests.Fixtures;

namespace OrleansGate.IntegrationTests.Protocol;

/// <summary>
/// Exceptions nobody awaited, and exceptions of kinds that mean a bug (null reference, index or argument out of
/// range, invalid cast, overflow) thrown under gateway code even if something caught them later.
/// </summary>
internal sealed class FaultWatch : IDisposable
{
    private int _foreign;

    /// <summary>The managed heap after a full collection, once finalizers (which report unobserved task exceptions) have run.</summary>
    public static long SettledHeap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    public ConcurrentQueue<string> Unobserved { get; } = new();

    public ConcurrentQueue<string> Bugs { get; } = new();

    public FaultWatch()
    {
        // Garbage of earlier tests is finalized (and reported) before listening starts, not blamed on this run.
        SettledHeap();
        TaskScheduler.UnobservedTaskException += OnUnobserved;
        AppDomain.CurrentDomain.FirstChanceException += OnFirstChance;
    }

    /// <summary>Unobserved exceptions with no frame of ours (Orleans internals of nodes that earlier tests disposed).</summary>
    public int Foreign => _foreign;

    private void OnUnobserved(object? sender, UnobservedTaskExceptionEventArgs e)
    {
        // Attributed by the stack: this process also finalizes the tasks of hosts other tests started and stopped.
        var text = e.Exception.ToString();
        if (text.Contains("at OrleansGate.", StringComparison.Ordinal))
        {
            Unobserved.Enqueue(text);
        }
        else
        {
            Interlocked.Increment(ref _foreign);
        }
    }

    private void OnFirstChance(object? sender, FirstChanceExceptionEventArgs e)
    {
        if (e.Exception is NullReferenceException or IndexOutOfRangeException or ArgumentOutOfRangeException or InvalidCastException or OverflowException)
        {
            // Only under gateway code: the stack of this handler runs through the throwing frames.
            var stack = Environment.StackTrace;
            if (stack.Contains("at OrleansGate.", StringComparison.Ordinal) && !stack.Contains("at OrleansGate.IntegrationTests.", StringComparison.Ordinal))
            {
                Bugs.Enqueue($"{e.Exception.GetType().Name}: {e.Exception.Message}\n{stack}");
            }
        }
    }

    /// <summary>Fails on an Error log line among <paramref name="logged"/>, an unobserved task exception or a bug-kind exception.</summary>
    public void AssertClean(IEnumerable<CapturedLogEntry> logged, string because)
    {
        SettledHeap();
        var errors = logged.Where(e => e.Level >= LogLevel.Error).ToList();
        Assert.True(errors.Count == 0, because + "\n" + string.Join('\n', errors.Take(5).Select(e => $"{e.Category}: {e.Message} {e.Exception}")));
        Assert.True(Unobserved.IsEmpty, $"{Unobserved.Count} unobserved task exceptions {because}: {Unobserved.FirstOrDefault()}");
        Assert.True(Bugs.IsEmpty, $"{Bugs.Count} exceptions that signal a bug in gateway code {because}: {Bugs.FirstOrDefault()}");
    }

    public void Dispose()
    {
        SettledHeap();
        TaskScheduler.UnobservedTaskException -= OnUnobserved;
        AppDomain.CurrentDomain.FirstChanceException -= OnFirstChance;
    }
}
