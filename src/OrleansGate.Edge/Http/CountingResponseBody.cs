using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace OrleansGate.Edge.Http;

/// <summary>Counts the bytes of an answer on their way to the agent, for its completion record.</summary>
public sealed class CountingResponseBody : Stream
{
    private readonly Stream _inner;
    private long _bytes;

    public CountingResponseBody(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var feature = context.Features.GetRequiredFeature<IHttpResponseBodyFeature>();
        _inner = feature.Stream;
        context.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(this, feature));
    }

    public long Bytes => Interlocked.Read(ref _bytes);

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush() => _inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count)
    {
        _inner.Write(buffer, offset, count);
        Interlocked.Add(ref _bytes, count);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        Interlocked.Add(ref _bytes, buffer.Length);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
}
