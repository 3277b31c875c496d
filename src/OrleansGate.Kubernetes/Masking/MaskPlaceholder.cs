using System.Text;

namespace OrleansGate.Kubernetes.Masking;

/// <summary>What a masked value is replaced with: a JSON string still valid for the field it stands in.</summary>
public static class MaskPlaceholder
{
    /// <summary>Written for <c>stringData</c>, configured paths, and every non-string value at a masked path.</summary>
    public const string Text = "***MASKED***";

    /// <summary>
    /// The base64 of <see cref="Text"/>, written for Secret <c>data</c> values, which are base64: a client that decodes them
    /// (<c>kubectl get secret -o go-template</c> with <c>base64decode</c>) reads <see cref="Text"/> instead of failing.
    /// </summary>
    public const string Base64 = "KioqTUFTS0VEKioq";

    /// <summary><see cref="Text"/> as a JSON string token, quotes included.</summary>
    internal static ReadOnlyMemory<byte> TextJson { get; } = Encoding.UTF8.GetBytes($"\"{Text}\"");

    /// <summary><see cref="Base64"/> as a JSON string token, quotes included.</summary>
    internal static ReadOnlyMemory<byte> Base64Json { get; } = Encoding.UTF8.GetBytes($"\"{Base64}\"");
}
