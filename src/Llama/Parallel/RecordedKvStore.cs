using Llama.Model;

namespace Llama.Parallel;

/// <summary>
/// The coordinator's view of a distributed model's KV memory: the engine's block operations are recorded here and
/// shipped with the next step to every rank or stage, which perform them before computing.
/// </summary>
internal sealed class RecordedKvStore(int blockCount, int blockSize, long bytesPerToken) : IKvBlockStore
{
    private readonly List<KvOperation> _operations = [];

    public int BlockCount { get; } = blockCount;

    public int BlockSize { get; } = blockSize;

    public long BytesPerToken { get; } = bytesPerToken;

    public void CopyBlock(int source, int target)
    {
        Check(source);
        Check(target);
        _operations.Add(KvOperation.Copy(source, target));
    }

    /// <summary>Each rank re-rotates with its own tables; <paramref name="rope"/> is the same rotation.</summary>
    public void Move(IReadOnlyList<int> blocks, int from, int to, int length, RotaryEmbedding rope)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        if (length > 0 && from != to)
        {
            _operations.Add(KvOperation.Move(blocks, from, to, length));
        }
    }

    /// <summary>The operations since the last step, in order.</summary>
    public KvOperation[] TakeOperations()
    {
        var operations = _operations.ToArray();
        _operations.Clear();
        return operations;
    }

    private void Check(int block)
    {
        if (block < 0 || block >= BlockCount)
        {
            throw new ArgumentOutOfRangeException(nameof(block), $"KV block {block} is outside 0..{BlockCount - 1}.");
        }
    }
}
