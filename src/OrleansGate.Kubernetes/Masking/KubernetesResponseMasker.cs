using System.IO.Pipelines;

namespace OrleansGate.Kubernetes.Masking;

/// <summary>
/// Masks Secret values, and configured paths of other kinds, in a Kubernetes API JSON response on its way to an agent,
/// streaming: a list or a watch is never held whole, only one object at a time.
/// </summary>
/// <remarks>
/// <code>
///   {"kind":"SecretList","metadata":{…},"items":[ {item}, {item}, … ]}      {"type":"ADDED","object":{…}}\n …
///    \_____________ copied through ___________/   \held/ \held/             \_ copied _/        \held/
///                                                  masked, written            flushed when each event ends
/// </code>
/// <list type="number">
/// <item>The top-level object is held while only <c>kind</c>, <c>apiVersion</c> and <c>type</c> have been read.</item>
/// <item>A list (<c>…List</c>), a <c>Table</c> or a watch event (<c>items</c>, <c>rows</c> or <c>object</c> before
/// <c>kind</c>) is streamed: its envelope copied, each item, row or event object held until complete, then masked by its
/// own kind (a typed list's items, which carry none, by the list's kind minus "List") and written.</item>
/// <item>Any other object is held whole and masked when complete: its kind may come after the values it masks.</item>
/// <item>Each complete top-level value (the response, or one watch event) is flushed at once.</item>
/// </list>
/// Output is the input's bytes except the masked values: numbers, escapes, white space and key order are untouched.
/// Every masked value is replaced by a JSON string (<see cref="MaskPlaceholder"/>); keys are kept.
/// An object over the cap, malformed or truncated JSON, or a shape that hides an object's kind ends the masking with a
/// <see cref="KubernetesMaskingException"/>. Bytes already written are envelope bytes and whole masked objects only.
/// The source must be able to hold one object unconsumed: a <see cref="Pipe"/> feeding it needs a
/// <see cref="PipeOptions.PauseWriterThreshold"/> above the cap (or 0), or its writer and this reader wait on each other.
/// </remarks>
public sealed class KubernetesResponseMasker
{
    /// <summary>16 MiB: far over the API server's own object limit (etcd's 1.5 MiB request limit), well under a silo's memory.</summary>
    public const int DefaultMaxObjectBytes = 16 * 1024 * 1024;

    public KubernetesResponseMasker(int maxObjectBytes = DefaultMaxObjectBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxObjectBytes);
        MaxObjectBytes = maxObjectBytes;
    }

    /// <summary>The most bytes one object (with the envelope bytes before it in the same read) may take.</summary>
    public int MaxObjectBytes { get; }

    /// <summary>Reads <paramref name="source"/> to its end and writes the masked response to <paramref name="destination"/>.</summary>
    /// <remarks>Completes neither: the caller completes both, the destination with the exception when this throws.</remarks>
    /// <returns>The counts; early, with what was written, if the destination's reader completed (the agent went away).</returns>
    /// <exception cref="KubernetesMaskingException">The response cannot be masked; end it, do not pass the rest through.</exception>
    public async Task<KubernetesMaskResult> MaskAsync(
        PipeReader source, PipeWriter destination, KubernetesMaskRules rules, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(rules);
        var parser = new MaskingStreamParser(rules, MaxObjectBytes);
        while (true)
        {
            var read = await source.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (read.IsCanceled)
            {
                throw new OperationCanceledException("the read from the Kubernetes API response was cancelled");
            }

            var buffer = read.Buffer;
            StepOutcome outcome;
            SequencePosition consumed;
            while ((outcome = parser.Step(buffer, read.IsCompleted, destination, out consumed)) is StepOutcome.ValueCompleted or StepOutcome.OutputPending)
            {
                buffer = buffer.Slice(consumed);

                // A watch event goes to the agent when it is complete, not when the next one arrives (maybe minutes later).
                if ((await destination.FlushAsync(cancellationToken).ConfigureAwait(false)).IsCompleted)
                {
                    source.AdvanceTo(consumed);
                    return parser.Result;
                }
            }

            source.AdvanceTo(consumed, buffer.End);
            var flush = await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (outcome == StepOutcome.Finished || flush.IsCompleted)
            {
                return parser.Result;
            }
        }
    }
}
