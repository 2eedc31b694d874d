using System.Text;

namespace LlamaOrleans.Grains;

/// <summary>
/// Paces a streamed reply: the first token's text goes at once, later text at most once per
/// <paramref name="interval"/>, gathered meanwhile. Every event costs grain messages on its way to the client, so on a
/// busy host sending each token alone takes time from generating them.
/// </summary>
public sealed class ReplyPacer(TimeSpan interval, TimeProvider time)
{
    private readonly StringBuilder _text = new();
    private int _tokens;
    private long? _sent;

    /// <summary>Adds one generated token's text; returns the event to send now, or null while the interval runs.</summary>
    public WorkerEvent? Add(string text)
    {
        _text.Append(text);
        _tokens++;
        if (_sent is { } last && time.GetElapsedTime(last) < interval)
        {
            return null;
        }

        _sent = time.GetTimestamp();
        return Take(completed: null);
    }

    /// <summary>The last event: whatever text is still gathered, <paramref name="tail"/>, and the turn's result.</summary>
    public WorkerEvent Finish(string tail, WorkerResult completed)
    {
        _text.Append(tail);
        return Take(completed);
    }

    private WorkerEvent Take(WorkerResult? completed)
    {
        var e = new WorkerEvent { TokenCount = _tokens, Text = _text.ToString(), Completed = completed };
        _text.Clear();
        _tokens = 0;
        return e;
    }
}
