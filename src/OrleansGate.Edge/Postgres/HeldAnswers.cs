using System.Buffers;
using OrleansGate.Edge.Sessions;

namespace OrleansGate.Edge.Postgres;

/// <summary>
/// The target's answers held back from the client until the audit records of the reads they answer are durable (a read
/// is forwarded before its record is written; DESIGN §2.7: its result reaches the agent only once the record is). Holding
/// starts at the first answer of such a read; everything after it is held too, in order, and released together.
/// </summary>
/// <remarks>
/// Held bytes are kept per cycle (up to each ReadyForQuery). A cycle whose records were all written is released as it
/// was; one with a record that could not be written is replaced by the refusal and the cycle's own ReadyForQuery, so the
/// client sees that request fail and nothing of its result. The relay holds at most what one read of the target's
/// socket brings (then it waits for the records before it reads on: back-pressure).
/// </remarks>
internal sealed class HeldAnswers
{
    /// <summary>A ReadyForQuery message: code, length 5, status.</summary>
    private const int ReadyForQueryLength = 6;

    // Made at the first hold: an idle session (most of them) holds no buffer.
    private ArrayBufferWriter<byte>? _bytes;
    private readonly List<Cycle> _cycles = [];
    private readonly List<AuditPump.Deferred> _records = [];
    private int _openStart;
    private int _openFirstRecord;

    /// <summary>Something is held: what the relay emits goes to <see cref="Writer"/>, behind it.</summary>
    public bool Active { get; private set; }

    /// <summary>Where the relay writes while <see cref="Active"/>.</summary>
    public IBufferWriter<byte> Writer => _bytes ??= new ArrayBufferWriter<byte>(4096);

    /// <summary>The records whose durability the held bytes wait for, oldest first.</summary>
    public IReadOnlyList<AuditPump.Deferred> Records => _records;

    /// <summary>The answer being relayed belongs to a read whose <paramref name="record"/> is not durable yet: held from here on.</summary>
    public void Require(AuditPump.Deferred record)
    {
        Active = true;
        // Once per cycle: a later cycle that executes the same statement waits for its record too.
        if (_records.Count == _openFirstRecord || !ReferenceEquals(_records[^1], record))
        {
            _records.Add(record);
        }
    }

    /// <summary>The last bytes written were a ReadyForQuery: a cycle ends.</summary>
    public void CycleEnded()
    {
        if (!Active)
        {
            return;
        }

        var end = _bytes?.WrittenCount ?? 0;
        _cycles.Add(new Cycle(_openStart, end, _openFirstRecord, _records.Count));
        _openStart = end;
        _openFirstRecord = _records.Count;
    }

    /// <summary>
    /// Writes what may go to <paramref name="client"/> now that every record is settled (durable or failed): each cycle
    /// as it was, or <paramref name="refusal"/> and its ReadyForQuery when one of its records failed. Returns true when
    /// the cycle still open failed: the relay drops the rest of it and ends it with the refusal itself.
    /// </summary>
    public bool Release(IBufferWriter<byte> client, Action<IBufferWriter<byte>> refusal)
    {
        var written = _bytes is null ? default : _bytes.WrittenSpan;
        foreach (var cycle in _cycles)
        {
            var bytes = written[cycle.Start..cycle.End];
            if (AllWritten(cycle.FirstRecord, cycle.EndRecord))
            {
                client.Write(bytes);
            }
            else
            {
                refusal(client);
                client.Write(bytes[^ReadyForQueryLength..]);
            }
        }

        var openFailed = !AllWritten(_openFirstRecord, _records.Count);
        if (!openFailed)
        {
            client.Write(written[_openStart..]);
        }

        _bytes?.ResetWrittenCount();
        _cycles.Clear();
        _records.Clear();
        _openStart = 0;
        _openFirstRecord = 0;
        Active = false;
        return openFailed;
    }

    private bool AllWritten(int from, int to)
    {
        for (var i = from; i < to; i++)
        {
            if (!_records[i].Durable.IsCompletedSuccessfully)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>One cycle's held bytes [Start, End) and the records [FirstRecord, EndRecord) it waited for.</summary>
    private readonly record struct Cycle(int Start, int End, int FirstRecord, int EndRecord);
}
