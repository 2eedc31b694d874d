using System.Diagnostics;
using Llama.Model;
using static TorchSharp.torch;

namespace Llama.Parallel;

/// <summary>
/// The coordinator of a model split across shards (tensor-parallel ranks or pipeline stages): the serving engine
/// drives it like a single model, and it turns each forward into exchanges with the shards. It holds no weights: the
/// engine's block tables and block operations go to every shard with each step. A failed shard call, or a shard whose
/// KV pool changed identity, is reported as <see cref="KvCacheLostException"/> so the engine recomputes every cache.
/// </summary>
public abstract class DistributedModel<TShard> : IPagedModel, IDisposable
{
    private readonly IShardDirectory<TShard> _directory;
    private readonly RecordedKvStore _kvCache;
    private readonly ExchangeCounter _counter = new();
    private Guid[]? _pools;
    private long _step;

    protected DistributedModel(ModelArgs args, int shards, KvLayout layout, IShardDirectory<TShard> directory)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentOutOfRangeException.ThrowIfLessThan(shards, 1);
        layout.Validate();
        args.Validate();
        Args = args;
        Shards = shards;
        Layout = layout;
        _directory = directory;
        _kvCache = new RecordedKvStore(layout.Blocks, layout.BlockSize, KvBlockPool.BytesPerTokenOf(args, layout.DType));
        Rope = new RotaryEmbedding(args.HeadDim, layout.MaxSeqLen * 2, args.RopeTheta, CPU);
    }

    public ModelArgs Args { get; }

    /// <summary>Names this coordinator to the shards: a shard driven by another coordinator too renews its pool identity.</summary>
    public Guid Id { get; } = Guid.NewGuid();

    /// <summary>Number of ranks or stages.</summary>
    public int Shards { get; }

    /// <summary>The KV memory this coordinator plans for; every shard must hold the same.</summary>
    public KvLayout Layout { get; }

    public int MaxSeqLen => Layout.MaxSeqLen;

    public int MaxBatchSize => Layout.MaxBatchSize;

    public RotaryEmbedding Rope { get; }

    public IKvBlockStore KvCache => _kvCache;

    public ExchangeStatistics Statistics => _counter.Snapshot();

    public float[][] Forward(IReadOnlyList<SequenceInput> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0 || batch.Count > MaxBatchSize)
        {
            throw new ArgumentException($"A batch holds 1 to {MaxBatchSize} sequences, got {batch.Count}.", nameof(batch));
        }

        IReadOnlyList<TShard> shards;
        try
        {
            shards = _directory.ResolveAsync().GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            throw new KvCacheLostException($"The shards of the model cannot all be reached: {e.Message}", e);
        }

        if (shards.Count != Shards)
        {
            throw new InvalidOperationException($"The model has {Shards} shards, but {shards.Count} were resolved.");
        }

        _counter.Step();
        var step = new ShardStep(++_step, Id, batch, _kvCache.TakeOperations());
        return Run(shards, step);
    }

    /// <summary>Runs one step through the shards, calling <see cref="Exchange{T}"/> for each round trip.</summary>
    protected abstract float[][] Run(IReadOnlyList<TShard> shards, ShardStep step);

    /// <summary>
    /// One round trip to the given shards at once (all of them, or one pipeline stage), counted and timed. Any failure
    /// is reported to the directory and thrown as <see cref="KvCacheLostException"/>.
    /// </summary>
    protected T[] Exchange<T>(IReadOnlyList<int> indices, Func<int, Task<T>> call, long bytesSent, Func<T, long> bytesReceived)
    {
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(call);
        var start = Stopwatch.GetTimestamp();
        var tasks = indices.Select(i => Call(i, call)).ToArray();
        T[] results;
        try
        {
            results = Task.WhenAll(tasks).GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            var failed = Enumerable.Range(0, tasks.Length).Where(n => !tasks[n].IsCompletedSuccessfully).ToArray();
            foreach (var n in failed)
            {
                _directory.ReportLostAsync(indices[n], tasks[n].Exception?.GetBaseException() ?? e).GetAwaiter().GetResult();
            }

            _pools = null;
            var error = e.GetBaseException();
            throw new KvCacheLostException($"Shard {string.Join(", ", failed.Select(n => indices[n]))} of the model failed: {error.Message}", error);
        }

        _counter.Exchange(start, bytesSent * indices.Count, results.Sum(bytesReceived));
        return results;
    }

    /// <summary>
    /// Checks the answers of a step's first call to the given shards: a shard whose KV layout differs from this
    /// coordinator's cannot follow its block tables (a configuration error); a pool that changed since the last step (its
    /// shard restarted or moved) holds none of the caches, so they are all lost.
    /// </summary>
    protected void CheckShards(IReadOnlyList<int> indices, IReadOnlyList<ShardOutput> outputs)
    {
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(outputs);
        for (var n = 0; n < indices.Count; n++)
        {
            if (Layout.Disagreement(outputs[n].Layout) is { } disagreement)
            {
                throw new InvalidOperationException(
                    $"Shard {indices[n]} of the model has {disagreement}: every rank or stage needs the coordinator's KV block size, max_seq_len and batch size.");
            }
        }

        var known = _pools ??= new Guid[Shards];
        var changed = indices.Where((index, n) => known[index] != Guid.Empty && known[index] != outputs[n].Pool).ToArray();
        for (var n = 0; n < indices.Count; n++)
        {
            known[indices[n]] = outputs[n].Pool;
        }

        if (changed.Length > 0)
        {
            throw new KvCacheLostException($"Shard {string.Join(", ", changed)} of the model restarted: its KV cache is empty.");
        }
    }

    /// <summary>A call that throws before returning its task fails that task alone, like any other failed call.</summary>
    private static async Task<T> Call<T>(int index, Func<int, Task<T>> call) => await call(index).ConfigureAwait(false);

    public void Dispose()
    {
        Rope.Dispose();
        GC.SuppressFinalize(this);
    }
}
