using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace OrleansGate.Edge.Postgres;

/// <summary>Kestrel hands every accepted PostgreSQL connection here.</summary>
public sealed class PostgresConnectionHandler(PostgresEdgeServices services, ILogger<PostgresSession> logger) : ConnectionHandler
{
    public override Task OnConnectedAsync(ConnectionContext connection)
    {
        services.Telemetry.Connections.Add(1);
        return new PostgresSession(connection, services, logger).RunAsync();
    }
}
