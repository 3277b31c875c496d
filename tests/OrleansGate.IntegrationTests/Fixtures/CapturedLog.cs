using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OrleansGate.IntegrationTests.Fixtures;

/// <summary>
/// Everything a running node logs from the moment the capture is attached, so tests can assert what an operator
/// would read (and what must never be written, such as tokens and passwords).
/// </summary>
/// <remarks>
/// Attached to the node's own <see cref="ILoggerFactory"/> after start: the factory hands a new provider to loggers
/// it already created, so no hosting hook is needed. One capture per node; tests take <see cref="Mark"/> before
/// acting and read <see cref="Since"/> afterwards.
/// </remarks>
public sealed class CapturedLog : ILoggerProvider
{
    private static readonly ConditionalWeakTable<IServiceProvider, CapturedLog> Attached = [];
    private readonly ConcurrentQueue<CapturedLogEntry> _entries = new();
    private long _count;

    private CapturedLog()
    {
    }

    /// <summary>The capture of <paramref name="node"/>, attached on first use.</summary>
    public static CapturedLog Of(GatewayNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return AttachTo(node.Services);
    }

    /// <summary>A capture of its own, for a component built outside a node (add it to a <see cref="LoggerFactory"/>).</summary>
    public static CapturedLog Standalone() => new();

    /// <summary>
    /// Attaches the capture of <paramref name="services"/> now, before the node starts, so what it logs while
    /// starting is kept too; <see cref="Of"/> returns the same capture later.
    /// </summary>
    public static CapturedLog AttachTo(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return Attached.GetValue(services, static s =>
        {
            var log = new CapturedLog();
            s.GetRequiredService<ILoggerFactory>().AddProvider(log);
            return log;
        });
    }

    /// <summary>A position to read from later.</summary>
    public long Mark => Interlocked.Read(ref _count);

    /// <summary>Entries logged after <paramref name="mark"/>, in order.</summary>
    public IReadOnlyList<CapturedLogEntry> Since(long mark) => [.. _entries.Skip((int)mark)];

    public ILogger CreateLogger(string categoryName) => new CapturedLogger(this, categoryName);

    internal void Add(CapturedLogEntry entry)
    {
        // Enqueue and count under one lock so Mark never runs ahead of what Since can see.
        lock (_entries)
        {
            _entries.Enqueue(entry);
            Interlocked.Increment(ref _count);
        }
    }

    public void Dispose()
    {
    }
}
