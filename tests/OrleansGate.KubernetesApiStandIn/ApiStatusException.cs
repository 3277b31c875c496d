namespace OrleansGate.KubernetesApiStandIn;

/// <summary>Thrown by a handler to end the request with <see cref="Status"/>; the dispatcher writes it.</summary>
public sealed class ApiStatusException(ApiStatus status) : Exception(status.Message)
{
    public ApiStatus Status { get; } = status;
}
