using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using OrleansGate.Policy.Masking;

namespace OrleansGate.Edge.Http;

/// <summary>
/// The agent's side of an upgraded exec or attach (<c>v4.channel.k8s.io</c>, <c>v5.channel.k8s.io</c>): what the agent
/// sends (stdin, resize) is read through untouched; what goes to the agent is read as WebSocket frames (RFC 6455) and
/// written on frame by whole frame, stdout and stderr with detector finds replaced.
/// </summary>
/// <remarks>
/// <code>
///  upstream ─► Write ─► pending bytes ─► whole frame? ─► checked ─► binary, channel 1 or 2: masked, length rewritten ─► agent
///                                                              └─ anything else valid: as it came
///                                          malformed, fragmented, text, over the cap ─► close 1008, the stream ends
/// </code>
/// Fail closed: nothing is passed that was not read as a whole frame, so a frame this cannot read ends the stream (a
/// close frame, then an <see cref="IOException"/> that ends YARP's copy and the connection). A value cut in two by a
/// frame's end is not found: each frame's payload is scanned alone. Not thread-safe for writers: YARP writes from one
/// copy loop and reads from the other.
/// </remarks>
public sealed class ExecOutputFilter : Stream
{
    /// <summary>The largest frame payload read; a frame over it ends the stream before it is buffered.</summary>
    public const int DefaultMaxPayload = 1024 * 1024;

    private const ushort PolicyViolation = 1008;
    private const int KeepAtMost = 64 * 1024;

    private static readonly byte[] CloseReason = Encoding.UTF8.GetBytes("exec output could not be checked by the gateway");

    private readonly Stream _inner;
    private readonly ExecDetectors _detectors;
    private readonly int _maxPayload;
    private readonly ArrayBufferWriter<byte> _out = new();
    private readonly ArrayBufferWriter<byte> _masked = new();
    private readonly List<DetectedSpan> _scratch = [];
    private byte[] _pending = [];
    private int _pendingCount;
    private long _valuesMasked;

    public ExecOutputFilter(Stream inner, ExecDetectors detectors, int maxPayload = DefaultMaxPayload)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(detectors);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPayload, 126);
        (_inner, _detectors, _maxPayload) = (inner, detectors, maxPayload);
    }

    /// <summary>Detector finds replaced so far, for the completion record.</summary>
    public long ValuesMasked => Interlocked.Read(ref _valuesMasked);

    /// <summary>Why the stream was ended; null while it runs.</summary>
    public string? Failure { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

    public override int Read(Span<byte> buffer) => _inner.Read(buffer);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _inner.ReadAsync(buffer, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Filter(buffer);
        _inner.Write(_out.WrittenSpan);
        ThrowIfEnded();
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Filter(buffer.Span);
        if (_out.WrittenCount > 0)
        {
            await _inner.WriteAsync(_out.WrittenMemory, cancellationToken).ConfigureAwait(false);
        }

        ThrowIfEnded();
    }

    public override void Flush() => _inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await _inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Leaves in <c>_out</c> every whole frame <paramref name="data"/> completes, checked and masked; keeps the rest.</summary>
    private void Filter(ReadOnlySpan<byte> data)
    {
        _out.ResetWrittenCount();
        if (Failure is not null)
        {
            return; // ended: nothing more goes to the agent
        }

        Append(data);
        var consumed = 0;
        while (Failure is null && TryFrame(_pending.AsSpan(consumed, _pendingCount - consumed), out var length))
        {
            consumed += length;
        }

        if (Failure is not null)
        {
            WriteClose();
            consumed = _pendingCount;
        }

        _pending.AsSpan(consumed, _pendingCount - consumed).CopyTo(_pending);
        _pendingCount -= consumed;
        if (_pendingCount == 0 && _pending.Length > KeepAtMost)
        {
            _pending = []; // one large frame does not pin its buffer for the rest of the session
        }
    }

    /// <summary>One frame from the start of <paramref name="buffer"/> to <c>_out</c>; false when it is not whole yet or is refused (<see cref="Failure"/>).</summary>
    private bool TryFrame(ReadOnlySpan<byte> buffer, out int length)
    {
        length = 0;
        if (!WebSocketFrameHeader.TryRead(buffer, out var header))
        {
            return false;
        }

        if (Refusal(header) is { } refusal)
        {
            Failure = refusal;
            return false;
        }

        var payloadLength = (int)header.PayloadLength; // at most the cap (checked above)
        if (buffer.Length < header.Length + payloadLength)
        {
            return false;
        }

        length = header.Length + payloadLength;
        var payload = buffer.Slice(header.Length, payloadLength);
        if (header.Opcode == WebSocketOpcode.Binary && payload.Length > 1 && payload[0] is (byte)ExecChannel.Stdout or (byte)ExecChannel.Stderr)
        {
            WriteMasked(buffer[..length], payload);
        }
        else
        {
            _out.Write(buffer[..length]);
        }

        return true;
    }

    /// <summary>Why a frame is not passed, or null. Checked on the header alone, before its payload is waited for.</summary>
    private string? Refusal(in WebSocketFrameHeader header) => header switch
    {
        { PayloadLength: < 0 } => "a frame length with its high bit set",
        { IsKnownOpcode: false } => $"a frame with the reserved opcode {(byte)header.Opcode}",
        { Reserved: not 0 } => "a frame with reserved bits set (a compressed message?)",
        { Masked: true } => "a masked frame from the server",
        { IsControl: true, Fin: false } or { IsControl: true, PayloadLength: > 125 } => "a fragmented or oversized control frame",
        { IsControl: false, Fin: false } or { Opcode: WebSocketOpcode.Continuation } => "a fragmented message",
        { Opcode: WebSocketOpcode.Text } => "a text message (the channel protocols send binary ones)",
        _ when header.PayloadLength > _maxPayload => $"a frame of {header.PayloadLength} bytes, over the cap of {_maxPayload}",
        _ => null,
    };

    /// <summary>Stdout or stderr: the frame as it came when nothing is found, else a new frame with the finds replaced.</summary>
    private void WriteMasked(ReadOnlySpan<byte> frame, ReadOnlySpan<byte> payload)
    {
        _masked.ResetWrittenCount();
        var found = _detectors.Mask(payload[1..], _scratch, _masked);
        if (found == 0)
        {
            _out.Write(frame);
            return;
        }

        Interlocked.Add(ref _valuesMasked, found);
        var length = 1 + _masked.WrittenCount;
        _out.Advance(WebSocketFrameHeader.WriteServerFrame(_out.GetSpan(WebSocketFrameHeader.MaxLength), WebSocketOpcode.Binary, length));
        _out.Write([payload[0]]); // the channel
        _out.Write(_masked.WrittenSpan);
        _masked.ResetWrittenCount();
    }

    /// <summary>A close frame (1008, policy violation) after the last whole frame, so the agent's client says why it ended.</summary>
    private void WriteClose()
    {
        var length = 2 + CloseReason.Length;
        _out.Advance(WebSocketFrameHeader.WriteServerFrame(_out.GetSpan(WebSocketFrameHeader.MaxLength), WebSocketOpcode.Close, length));
        BinaryPrimitives.WriteUInt16BigEndian(_out.GetSpan(2), PolicyViolation);
        _out.Advance(2);
        _out.Write(CloseReason);
    }

    private void Append(ReadOnlySpan<byte> data)
    {
        if (_pending.Length - _pendingCount < data.Length)
        {
            var grown = new byte[Math.Max(_pendingCount + data.Length, Math.Min(2 * _pending.Length, _maxPayload + WebSocketFrameHeader.MaxLength))];
            _pending.AsSpan(0, _pendingCount).CopyTo(grown);
            _pending = grown;
        }

        data.CopyTo(_pending.AsSpan(_pendingCount));
        _pendingCount += data.Length;
    }

    private void ThrowIfEnded()
    {
        if (Failure is { } failure)
        {
            throw new IOException($"exec output ended by the gateway: {failure}");
        }
    }
}
