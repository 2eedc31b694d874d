namespace LlamaOrleans.Grains;

/// <summary>
/// A conversation turn in progress and the pace of its reader: the turn may run a few deltas ahead of the stream's
/// reader, no more, so a reader that cancels or stops early stops the turn before it is stored. Once detached (its
/// client sent the same message again, so nobody reads this stream any more) it runs to its end unpaced.
/// </summary>
internal sealed class RunningTurn(string messageId)
{
    private const int Ahead = 2;
    private const int Unpaced = int.MaxValue / 2;

    public string MessageId { get; } = messageId;

    /// <summary>Deltas the turn may write before the reader takes more.</summary>
    public SemaphoreSlim Credits { get; } = new(Ahead);

    /// <summary>Whether <see cref="Detach"/> was called: the turn no longer stops with its first reader.</summary>
    public bool Detached { get; private set; }

    public void Detach()
    {
        if (!Detached)
        {
            Detached = true;
            Credits.Release(Unpaced);
        }
    }
}
