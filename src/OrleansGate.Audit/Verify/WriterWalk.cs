using OrleansGate.Audit.Signing;

namespace OrleansGate.Audit.Verify;

/// <summary>
/// Walks one writer's rows in its own order and folds them as its signer did, checking each of its signatures on the way:
/// every number from 1 holds exactly one row (or is void, as a signature says), and each signature's digest is the fold
/// up to its number. What it finds is reported with the writer, the numbers and the global sequence numbers involved.
/// </summary>
internal sealed class WriterWalk
{
    private readonly string _writer;
    private readonly List<AuditProblem> _problems;
    private readonly List<AuditSignature> _valid;
    private readonly AuditSignature? _final;
    private readonly List<long[]> _void = [];
    private readonly List<long[]> _missing = [];
    private readonly byte[] _digest = new byte[WriterDigest.Size];

    // Two rows claiming one number: the digest before the first of them, and the fold with the second instead, carried
    // along until the next signature says which of the two the writer wrote.
    private readonly byte[] _beforeLast = new byte[WriterDigest.Size];
    private (byte[] Digest, long FirstSeq, long SecondSeq, long Number)? _alternative;
    private readonly bool _started;
    private readonly string? _node;
    private int _nextSignature;
    private long _expected = 1;
    private long _lastSeq;
    private long _rows;
    private long _covered;
    private long _firstSeq;
    private long _beyondEnd;

    // The numbers since the last signature checked, and whether a problem was already named there (a gap names itself;
    // the digest mismatch it causes is not reported again).
    private long _rangeStart = 1;
    private long _rangeFirstSeq;
    private bool _rangeFlagged;

    public WriterWalk(string writer, IReadOnlyList<SignatureSet.Entry> entries, List<AuditProblem> problems)
    {
        _writer = writer;
        _problems = problems;
        // The writer's own signatures by number, then its seal (number 0, made by another writer) last.
        _valid = [.. entries.Where(e => e.Valid && e.Signature.Number != AuditSignature.SealNumber).Select(e => e.Signature).OrderBy(s => s.Number)];
        _valid.AddRange(entries.Where(e => e.Valid && e.Signature.Number == AuditSignature.SealNumber && e.Signature.ParsedKind == AuditSignatureKind.Seal).Select(e => e.Signature));
        CheckNumbering(entries);
        _started = _valid.Count > 0 && _valid[0].Number == 1 && _valid[0].ParsedKind == AuditSignatureKind.Start
            && _valid[0].WriterSeq == 0 && _valid[0].Digest == WriterDigest.Genesis;
        if (!_started)
        {
            return;
        }

        _node = AuditSignatureDetail.TryParse(_valid[0].Detail)?.Node;
        _nextSignature = 1;
        var last = _valid[^1];
        _final = last.ParsedKind is AuditSignatureKind.End or AuditSignatureKind.Seal ? last : null;
        foreach (var s in _valid.Skip(1))
        {
            if (AuditSignatureDetail.TryParse(s.Detail) is not { } detail)
            {
                continue;
            }

            _void.AddRange(detail.Void);
            if (s.ParsedKind == AuditSignatureKind.Seal)
            {
                _missing.AddRange(detail.Missing);
                foreach (var range in detail.Missing)
                {
                    Problem(0, $"rows #{range[0]}..#{range[1]} of writer {_writer} were already missing when {s.Signer} sealed it at {s.At:O} (deleted before the seal)");
                }
            }
        }
    }

    public string Writer => _writer;

    public void Row(long writerSeq, long seq, string hash)
    {
        _rows++;
        if (_firstSeq == 0)
        {
            _firstSeq = seq;
        }

        if (!_started)
        {
            return;
        }

        if (writerSeq < _expected)
        {
            if (writerSeq == _expected - 1 && _alternative is null && _rangeFirstSeq != 0)
            {
                var alternative = (byte[])_beforeLast.Clone();
                WriterDigest.FoldRow(alternative, writerSeq, hash);
                _alternative = (alternative, _lastSeq, seq, writerSeq);
                return;
            }

            Flag(seq, $"record seq {seq} claims number #{writerSeq} of writer {_writer}, which another record already holds: it was not written by that writer (forged or copied)");
            return;
        }

        if (_final is not null && writerSeq > _final.WriterSeq)
        {
            _beyondEnd++;
            Problem(seq, $"record seq {seq} (writer {_writer} #{writerSeq}) comes after the writer's {_final.Kind} at #{_final.WriterSeq}: no signature covers it (forged)");
            return;
        }

        Fill(writerSeq - 1, seq);
        if (seq < _lastSeq)
        {
            Flag(seq, $"record seq {seq} (writer {_writer} #{writerSeq}) has a lower global sequence than #{writerSeq - 1} (seq {_lastSeq}): rows were reordered");
        }

        if (_rangeFirstSeq == 0)
        {
            _rangeFirstSeq = seq;
        }

        _digest.CopyTo(_beforeLast, 0);
        WriterDigest.FoldRow(_digest, writerSeq, hash);
        if (_alternative is { } a)
        {
            WriterDigest.FoldRow(a.Digest, writerSeq, hash);
        }

        _expected = writerSeq + 1;
        _lastSeq = seq;
        CheckSignatures();
    }

    public AuditWriterReport Finish()
    {
        if (!_started)
        {
            if (_rows > 0)
            {
                Problem(_firstSeq, $"writer {_writer} has no valid signed start: none of its {_rows} records (from seq {_firstSeq}) is covered by a signature (a forged writer, or its key is not trusted)");
            }

            return new AuditWriterReport(_writer, null, AuditWriterState.Unsigned, _rows, 0, 0, 0, 0, null, [], null);
        }

        // Signatures that cover numbers no remaining row holds: the rows were deleted (a tail, or everything after a point).
        if (_nextSignature < _valid.Count)
        {
            Fill(_valid[^1].WriterSeq, 0);
        }

        if (_alternative is { } a)
        {
            Problem(a.SecondSeq, $"records seq {a.FirstSeq} and seq {a.SecondSeq} both claim number #{a.Number} of writer {_writer}, which no signature covers yet: one of them was not written by that writer (forged or copied)");
        }

        var signedThrough = _valid[^1].WriterSeq;
        var pending = _final is null ? Math.Max(0, _expected - 1 - signedThrough) : 0;
        var state = _final?.ParsedKind switch
        {
            AuditSignatureKind.End => AuditWriterState.Signed,
            AuditSignatureKind.Seal => AuditWriterState.Sealed,
            _ => AuditWriterState.Open,
        };
        return new AuditWriterReport(
            _writer, _node, state, _rows, _covered, signedThrough, pending, _valid.Count, _valid[^1].At,
            [.. _valid.Select(s => s.KeyId).Distinct(StringComparer.Ordinal)], _final?.ParsedKind == AuditSignatureKind.Seal ? _final.Signer : null);
    }

    /// <summary>Numbers from <see cref="_expected"/> up to <paramref name="through"/> hold no row: void, missing at the seal, or deleted.</summary>
    private void Fill(long through, long nextSeq)
    {
        while (_expected <= through)
        {
            if (In(_void, _expected))
            {
                FoldEmpty(_expected, missing: false);
            }
            else if (In(_missing, _expected))
            {
                FoldEmpty(_expected, missing: true);
            }
            else
            {
                var end = _expected;
                while (end < through && !In(_void, end + 1) && !In(_missing, end + 1))
                {
                    end++;
                }

                var covering = _valid.FirstOrDefault(s => s.ParsedKind != AuditSignatureKind.Start && s.WriterSeq >= _expected);
                Flag(nextSeq != 0 ? nextSeq : _lastSeq, $"records #{_expected}..#{end} of writer {_writer} are missing (deleted)" +
                    (covering is null ? "; later records of the writer exist" : $"; signature #{covering.Number} ({covering.Kind}, {covering.At:O}) covers them") +
                    (nextSeq != 0 ? $" (next record: seq {nextSeq})" : _lastSeq != 0 ? $" (last record before them: seq {_lastSeq})" : ""));
                for (; _expected <= end; _expected++)
                {
                    FoldEmpty(_expected, missing: true);
                    CheckSignatures();
                }

                continue;
            }

            _expected++;
            CheckSignatures();
        }
    }

    /// <summary>Every signature whose number has been reached is compared with the fold so far.</summary>
    private void CheckSignatures()
    {
        var reached = _expected - 1;
        while (_nextSignature < _valid.Count && _valid[_nextSignature].WriterSeq <= reached)
        {
            var s = _valid[_nextSignature++];
            if (s.WriterSeq < reached)
            {
                continue; // numbers never reach back; a signature at a lower number than one already passed is reported by CheckNumbering
            }

            var matches = WriterDigest.Format(_digest) == s.Digest;
            if (_alternative is { } a)
            {
                // The signature says which of the two rows claiming one number the writer wrote.
                var alternativeMatches = WriterDigest.Format(a.Digest) == s.Digest;
                var (forged, genuine) = alternativeMatches && !matches ? (a.FirstSeq, a.SecondSeq) : (a.SecondSeq, a.FirstSeq);
                Flag(forged, matches || alternativeMatches
                    ? $"record seq {forged} claims number #{a.Number} of writer {_writer}, which the writer signed for record seq {genuine}: it was not written by that writer (forged or copied)"
                    : $"records seq {a.FirstSeq} and seq {a.SecondSeq} both claim number #{a.Number} of writer {_writer}: at most one was written by that writer");
                if (alternativeMatches && !matches)
                {
                    a.Digest.CopyTo(_digest, 0);
                }

                matches |= alternativeMatches;
                _alternative = null;
            }

            if (!matches)
            {
                if (!_rangeFlagged)
                {
                    Problem(_rangeFirstSeq, $"records #{_rangeStart}..#{s.WriterSeq} of writer {_writer}" + (_rangeFirstSeq != 0 ? $" (from seq {_rangeFirstSeq})" : "") +
                        $" do not match signature #{s.Number} ({s.Kind}, {s.At:O}): one of them was altered, inserted or removed");
                }

                // Continue from what was signed, so one bad range does not condemn every later one.
                WriterDigest.Parse(s.Digest).CopyTo(_digest, 0);
            }
            else if (!_rangeFlagged)
            {
                _covered += s.WriterSeq - _rangeStart + 1 - Count(_void, _rangeStart, s.WriterSeq) - Count(_missing, _rangeStart, s.WriterSeq);
            }

            (_rangeStart, _rangeFirstSeq, _rangeFlagged) = (s.WriterSeq + 1, 0, false);
        }
    }

    private void FoldEmpty(long number, bool missing)
    {
        if (missing)
        {
            WriterDigest.FoldMissing(_digest, number);
        }
        else
        {
            WriterDigest.FoldVoid(_digest, number);
        }

        if (_alternative is { } a)
        {
            if (missing)
            {
                WriterDigest.FoldMissing(a.Digest, number);
            }
            else
            {
                WriterDigest.FoldVoid(a.Digest, number);
            }
        }
    }

    private void CheckNumbering(IReadOnlyList<SignatureSet.Entry> entries)
    {
        long expected = 1, lastSeq = 0;
        AuditSignatureKind? previous = null;
        foreach (var entry in entries)
        {
            var s = entry.Signature;
            if (s.Number == AuditSignature.SealNumber)
            {
                if (entry.Valid && s.ParsedKind != AuditSignatureKind.Seal)
                {
                    Problem(0, $"signature #0 of writer {_writer} is a {s.Kind}, but #0 is a seal's place");
                }

                continue;
            }

            if (s.Number > expected)
            {
                Problem(0, $"signatures #{expected}..#{s.Number - 1} of writer {_writer} are missing (deleted)");
            }

            var kind = s.ParsedKind;
            if (entry.Valid && ((s.Number == 1) != (kind == AuditSignatureKind.Start) || kind == AuditSignatureKind.Seal || previous is AuditSignatureKind.End || s.WriterSeq < lastSeq))
            {
                Problem(0, $"signature #{s.Number} of writer {_writer} ({s.Kind} at #{s.WriterSeq}) is out of place among the writer's signatures");
            }

            expected = s.Number + 1;
            lastSeq = Math.Max(lastSeq, s.WriterSeq);
            previous = kind;
        }
    }

    private void Flag(long seq, string message)
    {
        _rangeFlagged = true;
        Problem(seq, message);
    }

    private void Problem(long seq, string message) => _problems.Add(new(seq, message, AuditProblemKind.Writer));

    private static bool In(List<long[]> ranges, long n) => ranges.Any(r => r.Length == 2 && r[0] <= n && n <= r[1]);

    private static long Count(List<long[]> ranges, long from, long to) =>
        ranges.Where(r => r.Length == 2).Sum(r => Math.Max(0, Math.Min(r[1], to) - Math.Max(r[0], from) + 1));
}
