using System.Diagnostics.Metrics;

namespace OrleansGate.Edge.Telemetry;

/// <summary>
/// Metrics of token validation. A static meter, not one of <see cref="IMeterFactory"/>: the key sources are also made
/// outside the container (the approvals page's authenticator), and a fetch is counted the same wherever it happens.
/// </summary>
public static class IdentityTelemetry
{
    public const string Name = "OrleansGate.Identity";

    private static readonly Meter Meter = new(Name);

    /// <summary>Fetches of an issuer's discovery document and JWKS, by outcome (ok, failed); never the issuer's keys or tokens.</summary>
    public static readonly Counter<long> JwksFetches = Meter.CreateCounter<long>("orleansgate.identity.jwks.fetches", description: "Fetches of an issuer's discovery document and JWKS, by outcome");

    public static void Fetched(bool ok) => JwksFetches.Add(1, new KeyValuePair<string, object?>("outcome", ok ? "ok" : "failed"));
}
