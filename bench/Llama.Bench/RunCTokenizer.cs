using System.Text;

namespace Llama.Bench;

/// <summary>
/// Encodes a prompt the way run.c does with a tokenizer in llama2.c's <c>tokenizer.bin</c> format, so the
/// bench knows the prompt length and can give run.c (whose <c>-n</c> counts prompt positions too) the same
/// number of generated tokens as our engine, without running either first.
/// </summary>
/// <remarks>
/// File format: int32 max_token_length, then per token (vocab_size of them, a count the file does not
/// hold): float32 score, int32 byte length, the piece's bytes (spaces are plain 0x20). Encoding: BOS (1),
/// a dummy-prefix " " token when the text is not empty, one token per UTF-8 code point (or per byte, as
/// id byte + 3, when the code point is not in the vocabulary), then repeatedly merge the adjacent pair
/// whose concatenation is the highest-scoring vocabulary piece (leftmost on ties) until none is.
/// </remarks>
internal sealed class RunCTokenizer
{
    private const int Bos = 1;

    // The first three ids are <unk>, <s>, </s>; byte-fallback tokens follow.
    private const int ByteTokenOffset = 3;

    private readonly string[] _pieces;
    private readonly float[] _scores;
    private readonly Dictionary<string, int> _ids;

    private RunCTokenizer(string[] pieces, float[] scores)
    {
        _pieces = pieces;
        _scores = scores;
        _ids = new Dictionary<string, int>(pieces.Length, StringComparer.Ordinal);
        for (var id = 0; id < pieces.Length; id++)
        {
            _ids.TryAdd(pieces[id], id);
        }
    }

    public static RunCTokenizer Load(string path, int vocabSize)
    {
        try
        {
            using var reader = new BinaryReader(File.OpenRead(path));
            _ = reader.ReadInt32();
            var pieces = new string[vocabSize];
            var scores = new float[vocabSize];
            for (var id = 0; id < vocabSize; id++)
            {
                scores[id] = reader.ReadSingle();
                var length = reader.ReadInt32();
                if (length < 0)
                {
                    throw new BenchException($"{path}: token {id} has negative length {length}.");
                }

                var bytes = reader.ReadBytes(length);
                if (bytes.Length != length)
                {
                    throw new EndOfStreamException();
                }

                // Latin-1 maps bytes to chars one to one, so pieces compare and concatenate as raw bytes.
                pieces[id] = Encoding.Latin1.GetString(bytes);
            }

            return new RunCTokenizer(pieces, scores);
        }
        catch (EndOfStreamException e)
        {
            throw new BenchException($"{path}: ends before its {vocabSize} tokens; is it the tokenizer for this model?", e);
        }
    }

    public IReadOnlyList<int> Encode(string text)
    {
        var tokens = new List<int> { Bos };
        if (text.Length > 0)
        {
            tokens.Add(Lookup(" ") ?? throw new BenchException("Tokenizer has no \" \" piece for the dummy prefix."));
        }

        var utf8 = Encoding.UTF8.GetBytes(text);
        for (var start = 0; start < utf8.Length;)
        {
            var end = start + 1;
            while (end < utf8.Length && (utf8[end] & 0xC0) == 0x80 && end - start < 4)
            {
                end++;
            }

            var codePoint = utf8.AsSpan(start, end - start);
            if (Lookup(Encoding.Latin1.GetString(codePoint)) is { } id)
            {
                tokens.Add(id);
            }
            else
            {
                foreach (var b in codePoint)
                {
                    tokens.Add(b + ByteTokenOffset);
                }
            }

            start = end;
        }

        MergePairs(tokens);
        return tokens;
    }

    private void MergePairs(List<int> tokens)
    {
        while (true)
        {
            var bestScore = float.NegativeInfinity;
            var bestId = -1;
            var bestIndex = -1;
            for (var i = 0; i + 1 < tokens.Count; i++)
            {
                if (Lookup(_pieces[tokens[i]] + _pieces[tokens[i + 1]]) is { } id && _scores[id] > bestScore)
                {
                    bestScore = _scores[id];
                    bestId = id;
                    bestIndex = i;
                }
            }

            if (bestIndex < 0)
            {
                return;
            }

            tokens[bestIndex] = bestId;
            tokens.RemoveAt(bestIndex + 1);
        }
    }

    private int? Lookup(string piece) => _ids.TryGetValue(piece, out var id) ? id : null;
}
