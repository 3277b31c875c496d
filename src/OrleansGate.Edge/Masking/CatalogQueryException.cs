namespace OrleansGate.Edge.Masking;

/// <summary>The target refused one of the catalog queries; the message is its SQLSTATE and text.</summary>
internal sealed class CatalogQueryException(string message) : Exception(message);
