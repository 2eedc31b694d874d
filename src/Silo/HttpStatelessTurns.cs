using System.Runtime.CompilerServices;
using LlamaOrleans.Grains;
using LlamaOrleans.Http.Generation;

namespace LlamaOrleans.Silo;

/// <summary>
/// The HTTP API's stateless turns on the grains' <see cref="WorkerTurnClient"/>, the one path that assigns workers and
/// fails over for conversations too: a turn with no cache of its own yet, whose cache is dropped when the stream ends.
/// </summary>
internal sealed class HttpStatelessTurns(WorkerTurnClient workers) : IStatelessTurns
{
    public async IAsyncEnumerable<WorkerEvent> Run(string model, WorkerRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var turn = new WorkerTurn { Model = model, Request = request };
        try
        {
            await foreach (var e in workers.Run(turn, cancellationToken))
            {
                yield return e;
            }
        }
        finally
        {
            if (turn.Worker is { } worker)
            {
                await workers.DropCache(worker, request.CacheId);
            }
        }
    }
}
