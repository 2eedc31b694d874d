using System.Runtime.CompilerServices;
using System.Threading.Channels;

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

    /// <summary>Deltas the turn may write before the reader takes more.</summary>
    private readonly SemaphoreSlim _credits = new(Ahead);

    /// <summary>Writes one delta to the turn's reader, waiting while the turn is too far ahead of it.</summary>
    public delegate Task Emit(ReplyDelta delta);

    public string MessageId { get; } = messageId;

    /// <summary>Whether <see cref="Detach"/> was called: the turn no longer stops with its first reader.</summary>
    public bool Detached { get; private set; }

    public void Detach()
    {
        if (!Detached)
        {
            Detached = true;
            _credits.Release(Unpaced);
        }
    }

    /// <summary>
    /// Runs <paramref name="turn"/>, streaming what it emits; the turn's error ends the stream with it. A reader that
    /// cancels or stops early cancels the turn (unless detached), and the stream ends only when the turn has.
    /// </summary>
    public async IAsyncEnumerable<ReplyDelta> Stream(Func<Emit, CancellationToken, Task> turn, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var deltas = Channel.CreateUnbounded<ReplyDelta>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var running = Run(turn, deltas.Writer, stop.Token);
        var finished = false;
        try
        {
            await foreach (var delta in deltas.Reader.ReadAllAsync(cancellationToken))
            {
                _credits.Release();
                yield return delta;
            }

            finished = true;
        }
        finally
        {
            if (!finished && !Detached)
            {
                // The reader cancelled or stopped early: so does the turn, leaving no trace (unless detached and done).
                await stop.CancelAsync();
            }

            await running;
        }
    }

    private async Task Run(Func<Emit, CancellationToken, Task> turn, ChannelWriter<ReplyDelta> output, CancellationToken cancellationToken)
    {
        Exception? failure = null;
        try
        {
            await turn(async delta =>
            {
                await _credits.WaitAsync(cancellationToken);
                output.TryWrite(delta);
            }, cancellationToken);
        }
        catch (Exception ex)
        {
            failure = ex;
        }
        finally
        {
            output.TryComplete(failure);
        }
    }
}
