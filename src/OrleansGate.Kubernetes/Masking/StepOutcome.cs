namespace OrleansGate.Kubernetes.Masking;

/// <summary>Why <see cref="MaskingStreamParser.Step"/> returned.</summary>
internal enum StepOutcome
{
    /// <summary>The buffer is used up to the returned position; read more.</summary>
    NeedMoreData,

    /// <summary>A top-level value (an object, a list, one watch event) is written: flush it, then step on the rest.</summary>
    ValueCompleted,

    /// <summary>Much has been written in this step: flush it (backpressure), then step on the rest.</summary>
    OutputPending,

    /// <summary>The source is complete and every value in it is written.</summary>
    Finished,
}
