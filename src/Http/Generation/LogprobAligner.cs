namespace LlamaOrleans.Http.Generation;

/// <summary>
/// Hands out the reply's per-token log-probabilities with the text they belong to, when stop sequences hold text back
/// or cut it: a token goes out once all of its text has; at a stop, the tokens whose text starts before the cut go out,
/// the last one's text cut there too, so the tokens' texts always concatenate to the text sent.
/// </summary>
public sealed class LogprobAligner
{
    private readonly Queue<LogprobToken> _waiting = new();
    private long _start;
    private long _sent;

    /// <summary>Tokens that arrived with the next text from the worker.</summary>
    public void Add(IEnumerable<LogprobToken>? tokens)
    {
        foreach (var token in tokens ?? [])
        {
            _waiting.Enqueue(token);
        }
    }

    /// <summary>
    /// <paramref name="chars"/> more characters of the text were sent: returns the tokens now wholly sent. A token that
    /// adds no text goes once text after it is sent (or the reply ends), as a stop right there would leave it out.
    /// </summary>
    public IReadOnlyList<LogprobToken> Sent(int chars)
    {
        _sent += chars;
        var ready = new List<LogprobToken>();
        while (_waiting.TryPeek(out var token) && _start + token.Text.Length <= _sent && (token.Text.Length > 0 || _start < _sent))
        {
            ready.Add(_waiting.Dequeue());
            _start += token.Text.Length;
        }

        return ready;
    }

    /// <summary>
    /// The reply ended after <paramref name="chars"/> more characters were sent: every token left, or at a stop
    /// sequence (<paramref name="stopped"/>) only those that start before the cut, the last cut to it.
    /// </summary>
    public IReadOnlyList<LogprobToken> End(int chars, bool stopped)
    {
        var ready = new List<LogprobToken>(Sent(chars));
        while (_waiting.TryDequeue(out var token))
        {
            if (stopped && _start >= _sent)
            {
                break;
            }

            var keep = stopped ? (int)Math.Min(token.Text.Length, _sent - _start) : token.Text.Length;
            ready.Add(keep == token.Text.Length ? token : token with { Text = token.Text[..keep] });
            _start += token.Text.Length;
        }

        _waiting.Clear();
        return ready;
    }
}
