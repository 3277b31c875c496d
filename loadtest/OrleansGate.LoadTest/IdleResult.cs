namespace OrleansGate.LoadTest;

/// <summary>What the idle-session probe measured on the gateway process.</summary>
public sealed record IdleResult(
    int Requested,
    int Opened,
    int Failed,
    string? FirstError,
    double OpenSeconds,
    double RssBeforeMiB,
    double RssWithSessionsMiB,
    double KiBPerSession,
    int ProbedAlive,
    int Probed);
