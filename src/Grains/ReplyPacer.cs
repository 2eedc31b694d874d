using System.Text;

namespace LlamaOrleans.Grains;

/// <summary>
/// Paces a streamed reply: the first token's text goes at once, later text at most once per
/// <paramref name="interval"/>, gathered meanwhile. Every event costs grain messages on its way to the client, so on a
/// busy host sending each token alone takes time from generating them. Tokens that add no text yet (bytes of an
/// unfinished character) wait for the next event, so an event's log-probabilities always match its text.
/// </summary>
public sealed class ReplyPacer(TimeSpan interval, TimeProvider time)
{
    private readonly StringBuilder _text = new();
    private readonly List<LogprobToken> _logprobs = [];
    private int _tokens;
    private long? _sent;

    /// <summary>
    /// Adds one generated token's text, and its log-probabilities when the turn asked for them; returns the event to
    /// send now, or null while the interval runs.
    /// </summary>
    public WorkerEvent? Add(string text, LogprobToken? logprobs = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        _text.Append(text);
        _tokens++;
        if (logprobs is not null)
        {
            _logprobs.Add(logprobs);
        }

        if (_text.Length == 0 || (_sent is { } last && time.GetElapsedTime(last) < interval))
        {
            return null;
        }

        _sent = time.GetTimestamp();
        return Take(completed: null);
    }

    /// <summary>
    /// The last event: whatever text is still gathered, <paramref name="tail"/> (the decoder's last bytes, which belong
    /// to the last gathered token), and the turn's result.
    /// </summary>
    public WorkerEvent Finish(string tail, WorkerResult completed)
    {
        ArgumentNullException.ThrowIfNull(tail);
        _text.Append(tail);
        if (tail.Length > 0 && _logprobs.Count > 0)
        {
            _logprobs[^1] = _logprobs[^1] with { Text = _logprobs[^1].Text + tail };
        }

        return Take(completed);
    }

    private WorkerEvent Take(WorkerResult? completed)
    {
        var e = new WorkerEvent
        {
            TokenCount = _tokens,
            Text = _text.ToString(),
            Completed = completed,
            Logprobs = _logprobs.Count > 0 ? [.. _logprobs] : null,
        };
        _text.Clear();
        _logprobs.Clear();
        _tokens = 0;
        return e;
    }
}
