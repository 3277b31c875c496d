namespace OrleansGate.Host.Hosting;

/// <summary>The role this process was started with, for health output and diagnostics.</summary>
public sealed record GatewayRoleMarker(GatewayRole Role);
