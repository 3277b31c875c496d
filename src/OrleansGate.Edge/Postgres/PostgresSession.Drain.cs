using Microsoft.AspNetCore.Connections;
using OrleansGate.Edge.Sessions;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.Edge.Postgres;

/// <summary>
/// The graceful drain (EdgeDrain): a session ends with FATAL 57P01 at its first transaction boundary once the drain has
/// begun, or at the drain's deadline whatever it is doing.
/// </summary>
/// <remarks>
/// A boundary is: the client has handed over no message since its last Query or Sync (<see cref="_clientBusy"/>), every
/// ReadyForQuery it caused has been delivered to it, and the last one said 'I' (no transaction open). Both loops and the
/// drain check it under <see cref="_drainGate"/>; once one has decided to end the session there, the client loop forwards
/// nothing more, so a statement sent just after the boundary never reaches the target.
/// </remarks>
public sealed partial class PostgresSession
{
    /// <summary>The new-login refusal (57P03) while the node drains.</summary>
    private const string NodeDraining = "the node is draining; connect to another node";

    /// <summary>The 57P01 reason of a session the drain ended at a transaction boundary.</summary>
    private const string DrainedAtBoundary = "node draining";

    /// <summary>The 57P01 reason of a session the drain ended at its deadline (its transaction is rolled back upstream).</summary>
    private const string DrainedAtDeadline = "node draining: the drain deadline passed before this session's transaction ended (" + NodeShuttingDown + ")";

    private readonly Lock _drainGate = new();
    private CancellationTokenRegistration _onDrain;
    private CancellationTokenRegistration _onDrainDeadline;

    // All under _drainGate.
    private bool _relaying;
    private bool _clientBusy;
    private bool _drainDecided;
    private long _cyclesDelivered;
    private byte _deliveredStatus = PgTransactionStatus.Idle;

    /// <summary>The status of the last ReadyForQuery the target sent (upstream loop only).</summary>
    private byte _answeredStatus = PgTransactionStatus.Idle;

    /// <summary>Counts this connection in the drain from accept on and listens for its start and deadline.</summary>
    private void JoinDrain()
    {
        _services.Drain.Enter();
        _onDrain = _services.Drain.Draining.Register(static s => ((PostgresSession)s!).EndIfAtBoundary(), this);
        _onDrainDeadline = _services.Drain.Deadline.Register(static s => ((PostgresSession)s!).EndAtDrainDeadline(), this);
    }

    /// <summary>Tells the drain how this connection ended (after <see cref="CloseAsync"/>: its logout is recorded by then).</summary>
    private void LeaveDrain()
    {
        _onDrain.Dispose();
        _onDrainDeadline.Dispose();
        _services.Drain.Exit(Volatile.Read(ref _terminationReason) switch
        {
            DrainedAtBoundary => DrainEnd.AtBoundary,
            DrainedAtDeadline => DrainEnd.AtDeadline,
            _ => DrainEnd.NotByDrain,
        });
    }

    /// <summary>The relay starts: from here on the session can be ended at a boundary (at once, if the drain began during login).</summary>
    private void StartRelayForDrain()
    {
        lock (_drainGate)
        {
            _relaying = true;
        }

        EndIfAtBoundary();
    }

    /// <summary>
    /// Client loop, before each message: false when the session ends here instead (draining, at a boundary); else the
    /// client is busy until its next Query or Sync has been handled (<see cref="ClientCycleEnded"/>).
    /// </summary>
    private bool AdmitClientMessage()
    {
        lock (_drainGate)
        {
            if (!_drainDecided && !AtBoundaryWhileDraining())
            {
                _clientBusy = true;
                return true;
            }

            _drainDecided = true;
        }

        Terminate(DrainedAtBoundary);
        return false;
    }

    /// <summary>Client loop: everything it handed over has been closed by a Query or Sync, so the target's answer ends the cycle.</summary>
    private void ClientCycleEnded()
    {
        lock (_drainGate)
        {
            _clientBusy = false;
        }
    }

    /// <summary>Upstream loop, after a flush with no answer held: the client has every ReadyForQuery up to <paramref name="cycles"/>.</summary>
    private void Delivered(long cycles, byte status)
    {
        lock (_drainGate)
        {
            _cyclesDelivered = cycles;
            _deliveredStatus = status;
        }

        EndIfAtBoundary();
    }

    /// <summary>Ends the session now when the drain has begun and it is at a transaction boundary.</summary>
    private void EndIfAtBoundary()
    {
        lock (_drainGate)
        {
            if (_drainDecided || !AtBoundaryWhileDraining())
            {
                return;
            }

            _drainDecided = true;
        }

        // Outside the lock: ending the session runs the relay's cancellation callbacks.
        Terminate(DrainedAtBoundary);
    }

    private bool AtBoundaryWhileDraining() =>
        _services.Drain.IsDraining && _relaying && !_clientBusy
        && Interlocked.Read(ref _cyclesSent) == _cyclesDelivered && _deliveredStatus == PgTransactionStatus.Idle;

    /// <summary>The deadline: the session ends whatever it is doing; its running statement is cancelled and its upstream closed (CloseAsync).</summary>
    private void EndAtDrainDeadline()
    {
        Terminate(DrainedAtDeadline);
        bool relaying;
        lock (_drainGate)
        {
            relaying = _relaying;
        }

        if (!relaying)
        {
            // Still logging in: nothing of the relay listens to the termination yet.
            _connection.Abort(new ConnectionAbortedException(DrainedAtDeadline));
        }
    }
}
