using OrleansGate.Grains;
using OrleansGate.Model;

namespace OrleansGate.IntegrationTests.Policy;

/// <summary>Subscribes to the policy grain like a silo does, so a test can wait for a version instead of sleeping.</summary>
internal sealed class TestPolicyObserver : IPolicyObserver
{
    private readonly List<(Func<PolicySnapshot, bool> Match, TaskCompletionSource<PolicySnapshot> Done)> _waiters = [];

    public Task<PolicySnapshot> WaitForAsync(Func<PolicySnapshot, bool> match)
    {
        var done = new TaskCompletionSource<PolicySnapshot>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters)
        {
            _waiters.Add((match, done));
        }

        return done.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    public Task PolicyChanged(PolicySnapshot snapshot)
    {
        lock (_waiters)
        {
            foreach (var waiter in _waiters.Where(w => w.Match(snapshot)).ToList())
            {
                waiter.Done.TrySetResult(snapshot);
                _waiters.Remove(waiter);
            }
        }

        return Task.CompletedTask;
    }
}
