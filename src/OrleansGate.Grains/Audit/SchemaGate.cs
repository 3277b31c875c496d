using Microsoft.Extensions.Logging;
using OrleansGate.Audit;
using OrleansGate.Grains.Storage;

namespace OrleansGate.Grains.Audit;

/// <summary>
/// For a separate audit store only: installs the audit scripts (9xx) there before the first write, and keeps
/// trying on later writes while the store is down, so a node starts even when its audit store does not answer yet.
/// </summary>
internal sealed class SchemaGate(string? connectionString, ILoggerFactory loggers) : IAuditSchema
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private volatile bool _done = connectionString is null;

    public async ValueTask EnsureAsync(CancellationToken cancellationToken)
    {
        if (_done)
        {
            return;
        }

        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_done)
            {
                return;
            }

            var scripts = SchemaScript.LoadEmbedded().Where(s => s.Name.StartsWith('9')).ToList();
            await new SchemaInstaller(connectionString!, loggers.CreateLogger<SchemaInstaller>(), scripts).ApplyAsync(cancellationToken).ConfigureAwait(false);
            _done = true;
        }
        finally
        {
            _lock.Release();
        }
    }
}
