using System.Text;
using Llama.Tokenization;

namespace Llama.Serving;

/// <summary>
/// Decodes one turn's reply token by token and tells when its text first contains a stop sequence. Only the end of
/// the text that could still begin a sequence is kept, so each token costs the length of the longest sequence.
/// </summary>
internal sealed class StopSequenceMatcher(StopSequences stops)
{
    private readonly IncrementalDecoder _decoder = stops.Tokenizer.CreateIncrementalDecoder();
    private readonly int _keep = stops.Sequences.Max(s => s.Length) - 1;
    private readonly StringBuilder _tail = new();

    /// <summary>Adds a generated token; true when the text now contains a stop sequence.</summary>
    public bool Add(int token)
    {
        var text = _decoder.Add(token);
        if (text.Length == 0)
        {
            return false;
        }

        _tail.Append(text);
        var tail = _tail.ToString();
        foreach (var sequence in stops.Sequences)
        {
            if (tail.Contains(sequence, StringComparison.Ordinal))
            {
                return true;
            }
        }

        if (_tail.Length > _keep)
        {
            _tail.Remove(0, _tail.Length - _keep);
        }

        return false;
    }
}
