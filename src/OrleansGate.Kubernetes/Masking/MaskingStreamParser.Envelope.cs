using System.Text.Json;

namespace OrleansGate.Kubernetes.Masking;

/// <summary>
/// The top level of a response: telling a single object (held whole) from an envelope (a list, a Table, a watch event)
/// whose items are held one at a time while the rest is copied through.
/// </summary>
internal sealed partial class MaskingStreamParser
{
    private StepOutcome? OnValueStart(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw KubernetesMaskingException.Unmaskable(
                $"a Kubernetes API response is a JSON object or a stream of watch events, not a top-level {reader.TokenType}");
        }

        (_envelope, _property) = (default, EnvelopeProperty.Other);
        Hold(ref reader, UnitRole.TopLevel);
        _mode = ParserMode.Undecided;
        return null;
    }

    /// <remarks>
    /// The top-level object is held while its shape is unknown. Typed objects start with kind, so it is decided at once;
    /// unstructured ones (custom resources) have sorted keys, so apiVersion, and a list's items, come before kind.
    /// Any other property first means a single object: masked when complete, as its paths may come before its kind.
    /// </remarks>
    private StepOutcome? OnUndecidedToken(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.PropertyName)
        {
            _property = Classify(ref reader);
            return null;
        }

        if (reader.TokenType == JsonTokenType.EndObject)
        {
            return WriteUnit(ref reader);
        }

        var isString = reader.TokenType == JsonTokenType.String;
        switch (_property)
        {
            case EnvelopeProperty.Kind when isString:
                _envelope = _envelope with { Kind = reader.GetString() };

                // Refused here, while nothing of the response has been written, so the agent can be told so.
                ServerSideForm.Refuse(_rules, _envelope);
                var streamed = (_envelope.IsList || _envelope.Kind == "Table") && !_rules.HasPathsFor(_envelope);
                _mode = streamed ? ParserMode.EnvelopeProperties : ParserMode.Unit;
                break;
            case EnvelopeProperty.ApiVersion when isString && _envelope.ApiVersion is null:
                _envelope = _envelope with { ApiVersion = reader.GetString() };
                break;
            case EnvelopeProperty.Type when reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray):
                break;
            case EnvelopeProperty.Items when reader.TokenType == JsonTokenType.StartArray:
                _mode = ParserMode.Items;
                break;
            case EnvelopeProperty.Rows when reader.TokenType == JsonTokenType.StartArray:
                _mode = ParserMode.Rows;
                break;
            case EnvelopeProperty.Object when reader.TokenType == JsonTokenType.StartObject:
                _holding = false;
                Hold(ref reader, UnitRole.EventObject);
                return null;
            default:
                _mode = ParserMode.Unit;
                break;
        }

        // Decided as an envelope: what was held so far (kind, apiVersion, type) is written with the next envelope bytes.
        _holding = _mode == ParserMode.Unit || _mode == ParserMode.Undecided;
        return null;
    }

    /// <remarks>
    /// While the envelope's kind is unknown (items or an event's object came first), only apiVersion and a scalar type may
    /// be copied through: anything else could be a value that the kind, once read, would mask.
    /// </remarks>
    private StepOutcome? OnEnvelopeToken(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.PropertyName:
                _property = Classify(ref reader);
                return null;
            case JsonTokenType.EndObject:
                _mode = ParserMode.BetweenValues;
                return StepOutcome.ValueCompleted;
        }

        var isString = reader.TokenType == JsonTokenType.String;
        var isContainer = reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray;
        switch (_property)
        {
            case EnvelopeProperty.Kind when isString && _envelope.Kind is null:
                _envelope = _envelope with { Kind = reader.GetString() };
                CheckEnvelopeHasNoPaths();
                break;
            case EnvelopeProperty.ApiVersion when isString && _envelope.ApiVersion is null:
                _envelope = _envelope with { ApiVersion = reader.GetString() };
                CheckEnvelopeHasNoPaths();
                break;
            case EnvelopeProperty.Kind or EnvelopeProperty.ApiVersion:
                throw KubernetesMaskingException.Unmaskable("a streamed list or watch event has a repeated or non-string kind or apiVersion");
            case EnvelopeProperty.Items when reader.TokenType == JsonTokenType.StartArray:
                _mode = ParserMode.Items;
                break;
            case EnvelopeProperty.Rows when reader.TokenType == JsonTokenType.StartArray:
                _mode = ParserMode.Rows;
                break;
            case EnvelopeProperty.Object when reader.TokenType == JsonTokenType.StartObject:
                Hold(ref reader, UnitRole.EventObject);
                break;
            case EnvelopeProperty.Type when !isContainer:
                break;
            case var _ when _envelope.Kind is null:
                throw KubernetesMaskingException.Unmaskable(
                    "a list or watch event has a property other than apiVersion, type, items, rows or object before its kind");
            default:
                _mode = isContainer ? ParserMode.CopyValue : _mode;
                break;
        }

        return null;
    }

    private StepOutcome? OnCopiedToken(ref Utf8JsonReader reader)
    {
        if (reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray && reader.CurrentDepth == 1)
        {
            _mode = ParserMode.EnvelopeProperties;
        }

        return null;
    }

    private StepOutcome? OnElement(ref Utf8JsonReader reader, UnitRole role)
    {
        if (reader.TokenType == JsonTokenType.EndArray)
        {
            _mode = ParserMode.EnvelopeProperties;
        }
        else if (reader.TokenType == JsonTokenType.StartObject)
        {
            Hold(ref reader, role);
        }
        else
        {
            throw KubernetesMaskingException.Unmaskable($"an element of \"{(role == UnitRole.ListItem ? "items" : "rows")}\" is not an object");
        }

        return null;
    }

    /// <summary>
    /// An envelope is streamed only when its own kind has nothing to mask; a kind read after its items cannot have been
    /// checked before they were written, so it is checked now and the response ended if it does.
    /// </summary>
    private void CheckEnvelopeHasNoPaths()
    {
        ServerSideForm.Refuse(_rules, _envelope);
        if (_envelope.Kind is not null && _rules.HasPathsFor(_envelope))
        {
            throw KubernetesMaskingException.Unmaskable(
                $"kind {_envelope.Kind} has mask paths of its own but came after its items or apiVersion: it cannot be streamed");
        }
    }

    private static EnvelopeProperty Classify(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("kind"u8) ? EnvelopeProperty.Kind
        : reader.ValueTextEquals("apiVersion"u8) ? EnvelopeProperty.ApiVersion
        : reader.ValueTextEquals("type"u8) ? EnvelopeProperty.Type
        : reader.ValueTextEquals("items"u8) ? EnvelopeProperty.Items
        : reader.ValueTextEquals("rows"u8) ? EnvelopeProperty.Rows
        : reader.ValueTextEquals("object"u8) ? EnvelopeProperty.Object
        : EnvelopeProperty.Other;
}
