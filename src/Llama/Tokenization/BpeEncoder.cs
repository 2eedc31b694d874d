using System.Text;

namespace Llama.Tokenization;

/// <summary>
/// SentencePiece's BPE encoding (<c>bpe_model.cc</c>), which llama2.c's <c>encode</c> repeats: the text is
/// normalized (optional dummy-prefix space, spaces turned into the space symbol), split into characters,
/// then the adjacent pair whose merged string is a vocabulary piece with the highest score is merged,
/// the leftmost on ties, until no pair merges. Characters left outside the vocabulary become their UTF-8
/// byte tokens (byte fallback) or the unknown token. A priority queue with lazy deletion keeps long
/// texts at O(n log n) instead of llama2.c's rescan after every merge, and the text is merged in
/// independent segments where no piece can span the cut.
/// </summary>
internal sealed class BpeEncoder
{
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> pieces;
    private readonly float[] scores;
    private readonly char? spaceEscape;
    private readonly bool addDummyPrefix;
    private readonly int[]? byteIds;
    private readonly int unknownId;
    private readonly HashSet<long> innerPairs;

    /// <param name="pieces">Pieces that can be matched and merged, by text, with their ids.</param>
    /// <param name="scores">Every token's score, by id.</param>
    /// <param name="spaceEscape">What spaces in the text become ('▁' in SentencePiece), or null to keep them (llama2.c pieces hold plain spaces).</param>
    /// <param name="addDummyPrefix">Whether a space (escaped likewise) is put before non-empty text.</param>
    /// <param name="byteIds">The token of each byte value for byte fallback, or null to use <paramref name="unknownId"/>.</param>
    /// <param name="unknownId">The unknown token.</param>
    public BpeEncoder(
        Dictionary<string, int> pieces,
        float[] scores,
        char? spaceEscape,
        bool addDummyPrefix,
        int[]? byteIds,
        int unknownId)
    {
        this.pieces = pieces.GetAlternateLookup<ReadOnlySpan<char>>();
        this.scores = scores;
        this.spaceEscape = spaceEscape;
        this.addDummyPrefix = addDummyPrefix;
        this.byteIds = byteIds;
        this.unknownId = unknownId;
        innerPairs = InnerPairs(pieces.Keys);
    }

    /// <summary>Appends the ids of <paramref name="text"/> to <paramref name="ids"/>.</summary>
    public void Encode(string text, List<int> ids)
    {
        if (text.Length == 0)
        {
            return;
        }

        var normalized = Normalize(text);
        var symbols = Split(normalized);

        // No merge can join two characters that sit side by side in no piece, so the text is cut there
        // and each segment (mostly a word) is merged on its own: the same result, with a small agenda.
        var agenda = new PriorityQueue<Candidate, long>();
        var segmentStart = 0;
        for (var i = 1; i <= symbols.Length; i++)
        {
            if (i < symbols.Length && innerPairs.Contains(PairKey(symbols[i - 1].CodePoint, symbols[i].CodePoint)))
            {
                continue;
            }

            symbols[segmentStart].Prev = -1;
            symbols[i - 1].Next = -1;
            Merge(normalized, symbols, segmentStart, i, agenda);
            segmentStart = i;
        }

        Emit(normalized, symbols, ids);
    }

    private string Normalize(string text)
    {
        var space = spaceEscape ?? ' ';
        var builder = new StringBuilder(text.Length + 1);
        if (addDummyPrefix)
        {
            builder.Append(space);
        }

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(c).Append(text[++i]);
            }
            else if (char.IsSurrogate(c))
            {
                // A lone surrogate has no UTF-8 form; SentencePiece would see U+FFFD in its place.
                builder.Append('\uFFFD');
            }
            else
            {
                builder.Append(c == ' ' ? space : c);
            }
        }

        return builder.ToString();
    }

    private static Symbol[] Split(string normalized)
    {
        var symbols = new List<Symbol>(normalized.Length);
        for (var start = 0; start < normalized.Length;)
        {
            var codePoint = Rune.GetRuneAt(normalized, start);
            var index = symbols.Count;
            symbols.Add(new Symbol { Start = start, Length = codePoint.Utf16SequenceLength, Prev = index - 1, Next = index + 1, CodePoint = codePoint.Value });
            start += codePoint.Utf16SequenceLength;
        }

        return [.. symbols];
    }

    /// <summary>Merges the symbols of one segment, <c>[start, end)</c>, linked among themselves only.</summary>
    private void Merge(string normalized, Symbol[] symbols, int start, int end, PriorityQueue<Candidate, long> agenda)
    {
        for (var i = start; i + 1 < end; i++)
        {
            Propose(normalized, symbols, i, i + 1, agenda);
        }

        while (agenda.TryDequeue(out var candidate, out _))
        {
            ref var left = ref symbols[candidate.Left];
            ref var right = ref symbols[candidate.Right];

            // Stale: one side was merged away or grew since this pair was proposed.
            if (left.Length == 0 || right.Length == 0 || left.Length + right.Length != candidate.Length)
            {
                continue;
            }

            left.Length += right.Length;
            left.Next = right.Next;
            if (right.Next >= 0)
            {
                symbols[right.Next].Prev = candidate.Left;
            }

            right.Length = 0;
            Propose(normalized, symbols, left.Prev, candidate.Left, agenda);
            Propose(normalized, symbols, candidate.Left, left.Next, agenda);
        }
    }

    private void Propose(string normalized, Symbol[] symbols, int left, int right, PriorityQueue<Candidate, long> agenda)
    {
        if (left < 0 || right < 0)
        {
            return;
        }

        var length = symbols[left].Length + symbols[right].Length;
        if (pieces.TryGetValue(normalized.AsSpan(symbols[left].Start, length), out var id))
        {
            agenda.Enqueue(new Candidate(left, right, length), Priority(scores[id], left));
        }
    }

    /// <summary>
    /// SentencePiece's agenda order, highest score first and then leftmost, as one ascending key:
    /// the score's bits made order-preserving (with -0 equal to +0, as floats compare), then the position.
    /// </summary>
    private static long Priority(float score, int left)
    {
        var bits = BitConverter.SingleToInt32Bits(score == 0 ? 0f : score);
        var ascending = bits >= 0 ? bits : bits ^ int.MaxValue;
        return ((long)~ascending << 32) | (uint)left;
    }

    private static long PairKey(int first, int second) => ((long)first << 21) | (uint)second;

    /// <summary>Every pair of adjacent characters inside some piece.</summary>
    private static HashSet<long> InnerPairs(IEnumerable<string> pieces)
    {
        var pairs = new HashSet<long>();
        foreach (var piece in pieces)
        {
            var previous = -1;
            foreach (var rune in piece.EnumerateRunes())
            {
                if (previous >= 0)
                {
                    pairs.Add(PairKey(previous, rune.Value));
                }

                previous = rune.Value;
            }
        }

        return pairs;
    }

    private void Emit(string normalized, Symbol[] symbols, List<int> ids)
    {
        Span<byte> utf8 = stackalloc byte[4];
        var previousUnknown = false;
        foreach (var symbol in symbols)
        {
            if (symbol.Length == 0)
            {
                continue;
            }

            var text = normalized.AsSpan(symbol.Start, symbol.Length);
            if (pieces.TryGetValue(text, out var id))
            {
                ids.Add(id);
                previousUnknown = false;
            }
            else if (byteIds is not null)
            {
                // Only single characters can be outside the vocabulary: merges always make pieces.
                var count = Encoding.UTF8.GetBytes(text, utf8);
                foreach (var b in utf8[..count])
                {
                    ids.Add(byteIds[b]);
                }
            }
            else if (!previousUnknown)
            {
                // Without byte fallback SentencePiece folds a run of unknown characters into one unknown token.
                ids.Add(unknownId);
                previousUnknown = true;
            }
        }
    }

    private struct Symbol
    {
        public int Start;
        public int Length;
        public int Prev;
        public int Next;
        public int CodePoint;
    }

    private readonly record struct Candidate(int Left, int Right, int Length);
}
