using Llama.Checkpoints.Storage;
using Llama.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Llama.Model;

/// <summary>
/// Keys and values of every layer in fixed-size blocks, shared by all sequences: a sequence's block table
/// says which block holds each run of <see cref="BlockSize"/> positions, so memory follows the tokens held
/// instead of max_seq_len × batch. Per layer [blocks + 1 scratch, blockSize, kvHeads, headDim], zero-filled so unused
/// rows are finite. On the CPU the zeroed pages go back to the system at once and come back, as zeros, a block at a
/// time (<see cref="Commit"/>) as positions are written: the process holds the blocks in use, not the whole budget.
/// </summary>
public sealed unsafe class KvBlockPool : IKvBlockStore, IDisposable
{
    public KvBlockPool(ModelArgs args, int blockCount, int blockSize, ScalarType type, Device device)
        : this(args.NLayers, args.KvHeads, args.HeadDim, blockCount, blockSize, type, device)
    {
    }

    /// <summary>A pool for <paramref name="layers"/> layers of <paramref name="kvHeads"/> heads: a tensor-parallel rank's heads or a pipeline stage's layers.</summary>
    public KvBlockPool(int layers, int kvHeads, int headDim, int blockCount, int blockSize, ScalarType type, Device device)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(layers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(kvHeads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        BlockCount = blockCount;
        BlockSize = blockSize;
        DType = type;
        Keys = new Tensor[layers];
        Values = new Tensor[layers];
        BytesPerToken = 2L * layers * kvHeads * headDim * ElementSize(type);
        var cpu = device.type == DeviceType.CPU;
        _blockBytes = (long)blockSize * kvHeads * headDim * ElementSize(type);
        _bases = cpu ? new nint[2 * layers] : null;
        _committed = cpu ? new bool[blockCount + 1] : null;
        // One block more than the tables can name: the padding rows of a fixed-size decode step write there.
        for (var layer = 0; layer < layers; layer++)
        {
            Keys[layer] = Zeros(layer);
            Values[layer] = Zeros(layers + layer);
        }

        Tensor Zeros(int index)
        {
            var result = zeros([blockCount + 1, blockSize, kvHeads, headDim], type, device);
            if (cpu)
            {
                // Handed back before the next is made, so that at most one layer's tensor is ever resident whole.
                _bases![index] = (nint)TensorReader.DataPointer(result);
                MemoryPages.Release((byte*)_bases[index], (blockCount + 1) * _blockBytes);
            }

            return result;
        }
    }

    /// <summary>Where each CPU layer tensor's elements start (keys, then values), and the bytes of one block in one.</summary>
    private readonly nint[]? _bases;
    private readonly long _blockBytes;

    /// <summary>The CPU blocks whose pages have been made resident.</summary>
    private readonly bool[]? _committed;

    /// <summary>
    /// Makes <paramref name="block"/>'s pages resident in every layer before its positions are written on the CPU, in
    /// one call per tensor instead of a page fault per page, contents unchanged. Other devices, and blocks already
    /// committed, need nothing.
    /// </summary>
    public void Commit(int block)
    {
        if (_committed is null || _committed[block])
        {
            return;
        }

        foreach (var start in _bases!)
        {
            MemoryPages.Commit((byte*)start + (block * _blockBytes), _blockBytes);
        }

        _committed[block] = true;
    }

    public int BlockCount { get; }

    public int BlockSize { get; }

    /// <summary>Flat row no block table names, for the keys and values of padding rows.</summary>
    public long ScratchRow => (long)BlockCount * BlockSize;

    /// <summary>Element type of the keys and values: float32, bfloat16 or float16, whatever the model computes in.</summary>
    public ScalarType DType { get; }

    public Tensor[] Keys { get; }

    public Tensor[] Values { get; }

    /// <summary>Bytes one cached position takes: its key and value in every layer.</summary>
    public long BytesPerToken { get; }

    public long BytesPerBlock => BytesPerToken * BlockSize;

    public long Bytes => BytesPerBlock * BlockCount;

    public static long BytesPerTokenOf(ModelArgs args, ScalarType type) =>
        2L * args.NLayers * args.KvHeads * args.HeadDim * ElementSize(type);

    /// <summary>Copies one block's keys and values in every layer (copy-on-write of a shared block).</summary>
    public void CopyBlock(int source, int target)
    {
        CheckBlock(source);
        CheckBlock(target);
        using var _ = no_grad();
        foreach (var t in Keys.Concat(Values))
        {
            using var from = t[source];
            using var to = t[target];
            to.copy_(from);
        }
    }

    /// <summary>
    /// Context shift: moves the keys and values of positions [<paramref name="from"/>, from + length) of the
    /// sequence with block table <paramref name="blocks"/> to [<paramref name="to"/>, to + length), re-rotating the keys
    /// for their new positions, in every layer. The caller owns the blocks written (none may be shared).
    /// </summary>
    public void Move(IReadOnlyList<int> blocks, int from, int to, int length, RotaryEmbedding rope)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(from);
        ArgumentOutOfRangeException.ThrowIfNegative(to);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length == 0 || from == to)
        {
            return;
        }

        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var device = Keys[0].device;
        var source = tensor(Enumerable.Range(from, length).Select(p => Row(blocks, p)).ToArray(), device: device);
        var target = tensor(Enumerable.Range(to, length).Select(p => Row(blocks, p)).ToArray(), device: device);
        for (var layer = 0; layer < Keys.Length; layer++)
        {
            var keys = Keys[layer].view(-1, Keys[layer].shape[2], Keys[layer].shape[3]);
            var values = Values[layer].view(-1, Values[layer].shape[2], Values[layer].shape[3]);
            // index_select copies first, so overlapping source and target ranges are safe.
            keys.index_copy_(0, target, rope.Shift(keys.index_select(0, source), to - from));
            values.index_copy_(0, target, values.index_select(0, source));
        }
    }

    /// <summary>Flat row of <paramref name="position"/> in a sequence with this block table: block × size + offset.</summary>
    public long Row(IReadOnlyList<int> blocks, int position) =>
        ((long)blocks[position / BlockSize] * BlockSize) + (position % BlockSize);

    private void CheckBlock(int block)
    {
        if (block < 0 || block >= BlockCount)
        {
            throw new ArgumentOutOfRangeException(nameof(block), $"KV block {block} is outside 0..{BlockCount - 1}.");
        }
    }

    private static int ElementSize(ScalarType type) => type switch
    {
        ScalarType.Float32 => 4,
        ScalarType.BFloat16 or ScalarType.Float16 => 2,
        _ => throw new ArgumentException($"Unsupported KV cache type {type}."),
    };

    public void Dispose()
    {
        foreach (var t in Keys.Concat(Values))
        {
            t.Dispose();
        }
    }
}
