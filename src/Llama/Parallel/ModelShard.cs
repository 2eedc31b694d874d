using Llama.Model;
using static TorchSharp.torch;

namespace Llama.Parallel;

/// <summary>
/// A rank or stage of a split model, loaded in this process: its weights, its layers' KV pool as its coordinator drives it,
/// the rotary tables, and the lock under which it runs one call at a time.
/// </summary>
public abstract class ModelShard : IDisposable
{
    private readonly CoordinatedPool _coordinated;

    /// <param name="kvHeads">The KV heads this shard's pool holds for each of its layers.</param>
    private protected ModelShard(ModelArgs args, ShardWeights weights, int kvHeads, KvLayout layout, ScalarType type, Device device)
    {
        Args = args;
        Weights = weights;
        Layout = layout;
        DType = type;
        Device = device;
        Rope = new RotaryEmbedding(args.HeadDim, layout.MaxSeqLen * 2, args.RopeTheta, device);
        Pool = new KvBlockPool(weights.Layers.Length, kvHeads, args.HeadDim, layout.Blocks, layout.BlockSize, layout.DType, device);
        _coordinated = new CoordinatedPool(Pool, Rope, layout.MaxBatchSize, layout.MaxSeqLen, args.VocabSize);
    }

    /// <summary>The whole model's architecture.</summary>
    public ModelArgs Args { get; }

    /// <summary>The KV memory it holds, reported with every step so the coordinator can check it plans for the same.</summary>
    public KvLayout Layout { get; }

    public int MaxSeqLen => Layout.MaxSeqLen;

    public ScalarType DType { get; }

    public Device Device { get; }

    /// <summary>Keys and values of this shard's layers and KV heads.</summary>
    public KvBlockPool Pool { get; }

    /// <inheritdoc cref="CoordinatedPool.Id"/>
    public Guid PoolId => _coordinated.Id;

    private protected object Lock { get; } = new();

    private protected ShardWeights Weights { get; }

    private protected RotaryEmbedding Rope { get; }

    /// <summary>Takes the step's batch and KV operations; call it under <see cref="Lock"/>, without autograd.</summary>
    private protected void Begin(ShardStep step) => _coordinated.Begin(step);

    /// <summary>The answer to a step's first call: <paramref name="data"/> with the pool's identity and layout.</summary>
    private protected ShardOutput Answer(float[] data) => new(PoolId, Layout, data);

    /// <summary>Frees what the shard holds besides its weights, rotary tables and pool; called under <see cref="Lock"/>.</summary>
    private protected virtual void DisposeState()
    {
    }

    public void Dispose()
    {
        lock (Lock)
        {
            DisposeState();
            Weights.Dispose();
            Rope.Dispose();
            Pool.Dispose();
        }

        GC.SuppressFinalize(this);
    }
}
