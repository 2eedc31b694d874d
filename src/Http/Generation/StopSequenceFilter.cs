namespace LlamaOrleans.Http.Generation;

/// <summary>
/// Ends a reply at the first of the request's stop sequences, which the reply does not include. Text that could still
/// become a stop sequence is held back until the next piece tells.
/// </summary>
public sealed class StopSequenceFilter(IReadOnlyList<string> stops)
{
    private string _pending = string.Empty;

    /// <summary>Whether a stop sequence was met; the reply ends there.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Adds generated text and returns what may be sent now.</summary>
    public string Add(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (stops.Count == 0)
        {
            return text;
        }

        if (Stopped)
        {
            return string.Empty;
        }

        _pending += text;
        var first = stops.Select(s => _pending.IndexOf(s, StringComparison.Ordinal)).Where(i => i >= 0).DefaultIfEmpty(-1).Min();
        if (first >= 0)
        {
            Stopped = true;
            var before = _pending[..first];
            _pending = string.Empty;
            return before;
        }

        var hold = HeldBack();
        var ready = _pending[..^hold];
        _pending = _pending[^hold..];
        return ready;
    }

    /// <summary>The text still held back, sent when the reply ends without a stop sequence.</summary>
    public string Flush()
    {
        var rest = _pending;
        _pending = string.Empty;
        return rest;
    }

    /// <summary>Length of the longest end of the pending text that begins some stop sequence.</summary>
    private int HeldBack()
    {
        var longest = 0;
        foreach (var stop in stops)
        {
            for (var length = Math.Min(stop.Length - 1, _pending.Length); length > longest; length--)
            {
                if (_pending.AsSpan(_pending.Length - length).SequenceEqual(stop.AsSpan(0, length)))
                {
                    longest = length;
                    break;
                }
            }
        }

        return longest;
    }
}
