using System.Reflection;
using System.Threading.Channels;
using OrleansGate.Grains;

namespace OrleansGate.Edge.Tests.Limits;

/// <summary>A stand-in for the agent grain (no silo in these tests): each call waits for the test to answer it.</summary>
public class AgentGrainStandIn : DispatchProxy
{
    private readonly Channel<Call> _calls = Channel.CreateUnbounded<Call>();

    public static AgentGrainStandIn Create() => (AgentGrainStandIn)(object)Create<IAgentGrain, AgentGrainStandIn>();

    /// <summary>Whether a call came that the test has not taken yet.</summary>
    public bool HasCall => _calls.Reader.TryPeek(out _);

    /// <summary>The next call; one that never comes fails the test after 10 s instead of hanging it.</summary>
    public async Task<Call> NextAsync(string method)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            var call = await _calls.Reader.ReadAsync(bound.Token);
            Assert.Equal(method, call.Method);
            return call;
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the edge did not call {method} on the agent grain within 10 s");
            throw;
        }
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        var completionType = typeof(TaskCompletionSource<>).MakeGenericType(targetMethod.ReturnType.GetGenericArguments()[0]);
        var completion = Activator.CreateInstance(completionType)!;
        Assert.True(_calls.Writer.TryWrite(new Call(targetMethod.Name, args ?? [], completion)));
        return completionType.GetProperty(nameof(TaskCompletionSource<int>.Task))!.GetValue(completion);
    }

    public sealed record Call(string Method, object?[] Args, object Completion)
    {
        public void Answer<T>(T value) => ((TaskCompletionSource<T>)Completion).SetResult(value);

        public void Fail<T>(Exception error) => ((TaskCompletionSource<T>)Completion).SetException(error);
    }

    /// <summary>A stand-in for the grain factory: every agent grain asked for is <paramref name="agent"/>.</summary>
    public static IGrainFactory Factory(AgentGrainStandIn agent) => GrainFactoryStandIn.Create(agent);

    public class GrainFactoryStandIn : DispatchProxy
    {
        private object? _agent;

        public static IGrainFactory Create(AgentGrainStandIn agent)
        {
            var factory = Create<IGrainFactory, GrainFactoryStandIn>();
            ((GrainFactoryStandIn)(object)factory)._agent = agent;
            return factory;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
            targetMethod is { Name: nameof(IGrainFactory.GetGrain), IsGenericMethod: true } && targetMethod.GetGenericArguments()[0] == typeof(IAgentGrain)
                ? _agent
                : throw new NotSupportedException(targetMethod?.Name);
    }
}
