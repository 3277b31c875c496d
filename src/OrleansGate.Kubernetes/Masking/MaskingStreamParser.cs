using System.Buffers;
using System.Text.Json;

namespace OrleansGate.Kubernetes.Masking;

/// <summary>
/// The synchronous core of <see cref="KubernetesResponseMasker"/>: reads JSON tokens from whatever part of the response
/// has arrived, copies envelope bytes through as soon as they are read, and holds each object (<see cref="UnitRole"/>)
/// until it is complete, when it is masked and written. State carries over from one <see cref="Step"/> to the next.
/// </summary>
/// <remarks>
/// Bytes are written downstream only when they are known to be safe: envelope tokens that are complete, and whole objects
/// after masking. While an object is held, the consumed position stays at its first byte, so the source keeps it
/// (bounded by the cap) and the reader resumes where it stopped instead of rescanning it.
/// </remarks>
internal sealed partial class MaskingStreamParser
{
    /// <summary>Written bytes after which a step returns so that they are flushed (backpressure on a large buffer).</summary>
    private const int FlushThreshold = 64 * 1024;

    private static readonly JsonReaderOptions ReaderOptions = new()
    {
        // A watch stream is JSON values one after another (newline-delimited).
        AllowMultipleValues = true,
        MaxDepth = ObjectMasker.ReaderOptions.MaxDepth,
    };

    private readonly KubernetesMaskRules _rules;
    private readonly ObjectMasker _masker;
    private readonly long _maxObjectBytes;
    private readonly List<Replacement> _replacements = [];

    private ParserMode _mode = ParserMode.BetweenValues;
    private JsonReaderState _state = new(ReaderOptions);

    /// <summary>Where the reader resumes in the next buffer: 0, or past the part of a held object already read.</summary>
    private long _resumeOffset;

    /// <summary>An object is held: its first byte is the consumed position.</summary>
    private bool _holding;
    private long _unitStart;
    private int _unitDepth;
    private UnitRole _unitRole;

    /// <summary>The top-level object's kind and apiVersion, as far as they have been read.</summary>
    private ObjectIdentity _envelope;
    private EnvelopeProperty _property;

    // Per step: the buffer, the output, how much of the buffer is written, where the reader's input starts in it.
    private ReadOnlySequence<byte> _buffer;
    private IBufferWriter<byte> _output = null!;
    private long _copied;
    private long _readerBase;
    private long _written;

    public MaskingStreamParser(KubernetesMaskRules rules, long maxObjectBytes)
    {
        _rules = rules;
        _masker = new(rules);
        _maxObjectBytes = maxObjectBytes;
    }

    public KubernetesMaskResult Result => new(_masker.ObjectsSeen, _masker.ValuesMasked);

    /// <param name="buffer">Starts at the position the previous step consumed to.</param>
    /// <param name="consumed">How far the source may be advanced; with <see cref="StepOutcome.ValueCompleted"/> and
    /// <see cref="StepOutcome.OutputPending"/>, also where the next step's buffer starts.</param>
    public StepOutcome Step(ReadOnlySequence<byte> buffer, bool isFinalBlock, IBufferWriter<byte> output, out SequencePosition consumed)
    {
        (_buffer, _output, _copied, _readerBase, _written) = (buffer, output, 0, _resumeOffset, 0);
        try
        {
            var reader = new Utf8JsonReader(buffer.Slice(_resumeOffset), isFinalBlock, _state);
            return Run(ref reader, isFinalBlock, out consumed);
        }
        catch (JsonException e)
        {
            throw new KubernetesMaskingException(KubernetesMaskingError.MalformedJson, $"the response is not well-formed JSON: {e.Message}", e);
        }
        finally
        {
            (_buffer, _output) = (default, null!);
        }
    }

    private StepOutcome Run(ref Utf8JsonReader reader, bool isFinalBlock, out SequencePosition consumed)
    {
        while (reader.Read())
        {
            var outcome = _mode switch
            {
                ParserMode.BetweenValues => OnValueStart(ref reader),
                ParserMode.Undecided => OnUndecidedToken(ref reader),
                ParserMode.Unit => OnUnitToken(ref reader),
                ParserMode.EnvelopeProperties => OnEnvelopeToken(ref reader),
                ParserMode.CopyValue => OnCopiedToken(ref reader),
                ParserMode.Items => OnElement(ref reader, UnitRole.ListItem),
                ParserMode.Rows => OnElement(ref reader, UnitRole.TableRow),
                _ => throw new InvalidOperationException($"unknown mode {_mode}"),
            };
            if (outcome is { } pause)
            {
                return Pause(ref reader, pause, out consumed);
            }
        }

        return OutOfData(ref reader, isFinalBlock, out consumed);
    }

    /// <summary>Stops after a whole top-level value, or much output, at a point where nothing is held.</summary>
    private StepOutcome Pause(ref Utf8JsonReader reader, StepOutcome outcome, out SequencePosition consumed)
    {
        var end = _readerBase + reader.BytesConsumed;
        WriteRaw(end);
        (_state, _resumeOffset) = (reader.CurrentState, 0);
        consumed = _buffer.GetPosition(end);
        return outcome;
    }

    private StepOutcome OutOfData(ref Utf8JsonReader reader, bool isFinalBlock, out SequencePosition consumed)
    {
        if (isFinalBlock)
        {
            if (_mode != ParserMode.BetweenValues)
            {
                throw new KubernetesMaskingException(KubernetesMaskingError.MalformedJson, "the response ended inside a JSON value");
            }

            // Only white space is left after the last value.
            WriteRaw(_buffer.Length);
            consumed = _buffer.End;
            return StepOutcome.Finished;
        }

        var read = _readerBase + reader.BytesConsumed;
        var keep = _holding ? _unitStart : read;
        if (_buffer.Length - keep > _maxObjectBytes)
        {
            throw TooLarge(_buffer.Length - keep);
        }

        WriteRaw(keep);
        (_state, _resumeOffset) = (reader.CurrentState, read - keep);
        _unitStart -= _holding ? keep : 0;
        consumed = _buffer.GetPosition(keep);
        return StepOutcome.NeedMoreData;
    }

    /// <summary>Holds the object whose StartObject the reader is on, from its first byte until its EndObject.</summary>
    private void Hold(ref Utf8JsonReader reader, UnitRole role)
    {
        (_holding, _unitRole) = (true, role);
        _unitStart = _readerBase + reader.TokenStartIndex;
        _unitDepth = reader.CurrentDepth;
        _mode = ParserMode.Unit;
    }

    private StepOutcome? OnUnitToken(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == _unitDepth ? WriteUnit(ref reader) : null;

    /// <summary>The held object is complete: mask it, write it, and go on where it was.</summary>
    private StepOutcome? WriteUnit(ref Utf8JsonReader reader)
    {
        var end = _readerBase + reader.BytesConsumed;
        if (end - _unitStart > _maxObjectBytes)
        {
            throw TooLarge(end - _unitStart);
        }

        var unit = _buffer.Slice(_unitStart, end - _unitStart);
        _replacements.Clear();
        switch (_unitRole)
        {
            case UnitRole.TableRow:
                _masker.MaskRow(unit, 0, _replacements);
                break;
            case UnitRole.ListItem:
                _masker.MaskObject(unit, 0, _envelope.ItemIdentity, kindRequired: _envelope.Kind is null, _replacements);
                break;
            default:
                _masker.MaskObject(unit, 0, default, kindRequired: false, _replacements);
                break;
        }

        WriteRaw(_unitStart);
        _written += ReplacementWriter.Write(unit, _replacements, _output);
        (_copied, _holding) = (end, false);
        _mode = _unitRole switch
        {
            UnitRole.TopLevel => ParserMode.BetweenValues,
            UnitRole.ListItem => ParserMode.Items,
            UnitRole.TableRow => ParserMode.Rows,
            _ => ParserMode.EnvelopeProperties,
        };
        return _unitRole == UnitRole.TopLevel ? StepOutcome.ValueCompleted
            : _written >= FlushThreshold ? StepOutcome.OutputPending
            : null;
    }

    /// <summary>Copies the buffer through to <paramref name="end"/>: envelope bytes, read and checked as JSON tokens.</summary>
    private void WriteRaw(long end)
    {
        if (end > _copied)
        {
            _written += ReplacementWriter.Copy(_buffer.Slice(_copied, end - _copied), _output);
            _copied = end;
        }
    }

    private KubernetesMaskingException TooLarge(long length) => new(
        KubernetesMaskingError.ObjectTooLarge,
        $"an object in the response is over the {_maxObjectBytes}-byte cap ({length} bytes held so far); it is not passed through");
}
