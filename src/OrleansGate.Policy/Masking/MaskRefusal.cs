using OrleansGate.Policy.Model;

namespace OrleansGate.Policy.Masking;

/// <summary>Why a statement text must be refused under a mask. The reason names columns and masks, never a value.</summary>
public sealed record MaskRefusal(PolicyMask Mask, string Reason);
