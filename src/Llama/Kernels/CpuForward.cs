using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Llama.Model;
using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace Llama.Kernels;

/// <summary>
/// The forward pass for float32 models on the CPU, written as llama2.c's: every new token of every sequence
/// is a row; attention reads the paged KV cache in place, one task per (row, head). Matrix products of a few
/// rows run on the engine's own vectorized GEMV split across threads (at batch 1 a step is bound by memory
/// bandwidth, and libtorch's matrix-vector product uses one core); larger ones go to libtorch's GEMM. The KV cache
/// may hold float16 or bfloat16: keys and values are rounded as they are written and widened as attention reads them.
/// </summary>
/// <remarks>
/// Hot methods skip tiered compilation: a short generation would otherwise run mostly in unoptimized code.
/// </remarks>
internal sealed unsafe class CpuForward : IDisposable
{
    /// <summary>Work (multiply-adds) below which handing a part to another thread costs more than it saves.</summary>
    internal const long MinParallelWork = 1 << 16;

    /// <summary>Attention scores of the head a thread is working on; reused so steps allocate little.</summary>
    [ThreadStatic]
    private static float[]? t_scores;

    /// <summary>The same for a prefill chunk's head: its transposed queries and scores.</summary>
    [ThreadStatic]
    private static float[]? t_chunkScratch;

    private readonly Transformer _model;
    private readonly ModelArgs _args;
    private readonly CpuWorkerPool _pool;
    private readonly CpuMatMul _matMul;
    private readonly CpuWeight _embeddings;
    private readonly CpuWeight _output;
    private readonly float* _norm;
    private readonly LayerPointers[] _layers;
    private readonly ScalarType _kvType;

    public CpuForward(Transformer model, int threads, int gemvMaxRows)
    {
        _model = model;
        _args = model.Args;
        _pool = new CpuWorkerPool(threads);
        _matMul = new CpuMatMul(_pool, gemvMaxRows);
        _embeddings = new CpuWeight(model.Embeddings, model.BlockTypeOf(model.Embeddings));
        _output = new CpuWeight(model.Output, model.BlockTypeOf(model.Output), model.InPanels(model.Output));
        _norm = Pointer(model.Norm.Weight);
        _kvType = model.Cache.DType;
        _layers = new LayerPointers[_args.NLayers];
        CpuWeight Of(Tensor weight) => new(weight, model.BlockTypeOf(weight), model.InPanels(weight));
        for (var i = 0; i < _args.NLayers; i++)
        {
            var layer = model.Layers[i];
            _layers[i] = new LayerPointers(
                Of(layer.Attention.Wq), Of(layer.Attention.Wk), Of(layer.Attention.Wv), Of(layer.Attention.Wo),
                Of(layer.FeedForward.W1), Of(layer.FeedForward.W2), Of(layer.FeedForward.W3),
                Pointer(layer.AttentionNorm.Weight), Pointer(layer.FfnNorm.Weight),
                CachePointer(model.Cache.Keys[i]), CachePointer(model.Cache.Values[i]));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public float[][] Forward(IReadOnlyList<SequenceInput> batch, bool allPositions)
    {
        var rows = Rows.Of(batch);
        int n = rows.Count, dim = _args.Dim, kvDim = _args.KvHeads * _args.HeadDim, hidden = _args.HiddenDim;
        var eps = (float)_args.NormEps;
        using var arrays = new StepArrays();
        var x = arrays.Rent(n * dim);
        var xb = arrays.Rent(n * dim);
        var q = arrays.Rent(n * dim);
        var k = arrays.Rent(n * kvDim);
        var v = arrays.Rent(n * kvDim);
        var attended = arrays.Rent(n * dim);
        var gate = arrays.Rent(n * hidden);
        var up = arrays.Rent(n * hidden);
        var sigmoid = arrays.Rent(n * hidden);
        // Rented arrays may be longer than the step: whole-array operations take these.
        Span<float> residual = x.AsSpan(0, n * dim), delta = xb.AsSpan(0, n * dim);

        for (var r = 0; r < n; r++)
        {
            var token = rows.Token(batch, r);
            if (_embeddings.Type == WeightType.F32)
            {
                new ReadOnlySpan<float>((float*)_embeddings.Data + ((long)token * dim), dim).CopyTo(x.AsSpan(r * dim, dim));
            }
            else
            {
                Dequantize.Row(_embeddings.Type, new ReadOnlySpan<byte>(_embeddings.Data + (token * _embeddings.RowBytes), (int)_embeddings.RowBytes), x.AsSpan(r * dim, dim));
            }
        }

        var pool = _model.Cache;
        // Every block the step writes is made resident once, for all layers, before the first layer writes it.
        for (var r = 0; r < n; r++)
        {
            pool.Commit(batch[rows.Sequence[r]].Blocks[rows.Position[r] / pool.BlockSize]);
        }

        foreach (var layer in _layers)
        {
            RmsNorm(x, layer.AttentionNorm, xb, n, dim, eps);
            _matMul.Run(xb, n, dim, new CpuMatMul.Job(layer.Wq, q, dim), new CpuMatMul.Job(layer.Wk, k, kvDim), new CpuMatMul.Job(layer.Wv, v, kvDim));
            // Every row's key and value go into the cache before any row attends: later rows of a chunk read earlier ones.
            InParts(n, n * 4L * (dim + kvDim), 1, (from, to) =>
            {
                for (var r = from; r < to; r++)
                {
                    var seq = batch[rows.Sequence[r]];
                    var pos = rows.Position[r];
                    _model.Rope.Apply(q.AsSpan(r * dim, dim), _args.NHeads, pos);
                    _model.Rope.Apply(k.AsSpan(r * kvDim, kvDim), _args.KvHeads, pos);
                    var offset = pool.Row(seq.Blocks, pos) * kvDim;
                    Store(k.AsSpan(r * kvDim, kvDim), layer.CacheK, offset);
                    Store(v.AsSpan(r * kvDim, kvDim), layer.CacheV, offset);
                }
            });

            Attend(batch, rows, q, attended, layer);
            _matMul.Run(attended, n, dim, new CpuMatMul.Job(layer.Wo, xb, dim));
            TensorPrimitives.Add(residual, delta, residual);

            RmsNorm(x, layer.FfnNorm, xb, n, dim, eps);
            _matMul.Run(xb, n, dim, new CpuMatMul.Job(layer.W1, gate, hidden), new CpuMatMul.Job(layer.W3, up, hidden));
            // SwiGLU: silu(gate) * up, with silu(g) = g * sigmoid(g).
            InParts(n, n * 16L * hidden, 1, (from, to) =>
            {
                var (start, length) = (from * hidden, (to - from) * hidden);
                Span<float> g = gate.AsSpan(start, length), s = sigmoid.AsSpan(start, length);
                TensorPrimitives.Sigmoid(g, s);
                TensorPrimitives.Multiply(g, s, g);
                TensorPrimitives.Multiply(g, up.AsSpan(start, length), g);
            });
            _matMul.Run(gate, n, hidden, new CpuMatMul.Job(layer.W2, xb, dim));
            TensorPrimitives.Add(residual, delta, residual);
        }

        // Only the rows whose logits are wanted go through the final norm and the classifier.
        var wanted = allPositions ? Enumerable.Range(0, n).ToArray() : rows.Last;
        var selected = arrays.Rent(wanted.Length * dim);
        for (var i = 0; i < wanted.Length; i++)
        {
            x.AsSpan(wanted[i] * dim, dim).CopyTo(selected.AsSpan(i * dim, dim));
        }

        RmsNorm(selected, _norm, selected, wanted.Length, dim, eps);
        var vocab = _args.VocabSize;
        // One sequence's logits are returned as they are; a batch's are computed together in a pooled array and copied
        // out per sequence, unless they are a prompt's every position (hundreds of megabytes, too much to keep pooled).
        var logits = batch.Count == 1 || allPositions ? new float[wanted.Length * vocab] : arrays.Rent(wanted.Length * vocab);
        _matMul.Run(selected, wanted.Length, dim, new CpuMatMul.Job(_output, logits, vocab));
        if (batch.Count == 1)
        {
            return [logits];
        }

        var result = new float[batch.Count][];
        for (int b = 0, row = 0; b < batch.Count; b++)
        {
            var count = allPositions ? batch[b].Tokens.Count : 1;
            // Every element is copied over: no need to clear it first.
            result[b] = GC.AllocateUninitializedArray<float>(count * vocab);
            logits.AsSpan(row * vocab, count * vocab).CopyTo(result[b]);
            row += count;
        }

        return result;
    }

    /// <summary>
    /// <paramref name="body"/>(from, to) over [0, <paramref name="count"/>) in runs of consecutive items across the worker
    /// pool: as many runs as <paramref name="work"/> (about the multiply-adds of them all) makes worth handing to another
    /// thread, at most <paramref name="partsPerThread"/> per thread (more let a thread that finishes early take over).
    /// </summary>
    private void InParts(int count, long work, int partsPerThread, Action<int, int> body)
    {
        var parts = (int)Math.Clamp(work / MinParallelWork, 1, Math.Min(count, _pool.Threads * partsPerThread));
        _pool.Run(parts, part => body(count * part / parts, count * (part + 1) / parts));
    }

    /// <summary>Writes <paramref name="row"/> at element <paramref name="offset"/> of a cache tensor, in the cache's type.</summary>
    private void Store(ReadOnlySpan<float> row, byte* cache, long offset)
    {
        switch (_kvType)
        {
            case ScalarType.Float16:
                KvFloat16.FromFloat(row, cache + (offset * 2));
                break;
            case ScalarType.BFloat16:
                KvBFloat16.FromFloat(row, cache + (offset * 2));
                break;
            default:
                KvFloat32.FromFloat(row, cache + (offset * 4));
                break;
        }
    }

    /// <summary>Meta's RMSNorm on each of <paramref name="n"/> vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RmsNorm(float[] x, float* weight, float[] output, int n, int dim, float eps)
    {
        var w = new ReadOnlySpan<float>(weight, dim);
        for (var b = 0; b < n; b++)
        {
            var row = x.AsSpan(b * dim, dim);
            var meanSquare = TensorPrimitives.Dot(row, row) / dim;
            var inverse = 1f / MathF.Sqrt(meanSquare + eps);
            var outRow = output.AsSpan(b * dim, dim);
            TensorPrimitives.Multiply(row, inverse, outRow);
            TensorPrimitives.Multiply(outRow, w, outRow);
        }
    }

    /// <summary>
    /// Causal attention of each row's query over its sequence's cached keys, one task per (sequence, head): a decode row
    /// alone, or a prefill chunk's rows together so that each key and value is read once for the whole chunk.
    /// </summary>
    private void Attend(IReadOnlyList<SequenceInput> batch, Rows rows, float[] q, float[] output, LayerPointers layer)
    {
        var heads = _args.NHeads;
        var tasks = batch.Count * heads;
        // Runs of consecutive tasks, so that one thread reads a sequence's heads together: between them they read each
        // cached row whole.
        InParts(tasks, rows.AttentionWork * _args.Dim, 8, (from, to) =>
        {
            for (var task = from; task < to; task++)
            {
                var (b, h) = (task / heads, task % heads);
                var first = rows.Last[b] - batch[b].Tokens.Count + 1;
                switch (_kvType, batch[b].Tokens.Count)
                {
                    case (ScalarType.Float16, 1):
                        AttendHead<KvFloat16>(rows.Tables[b], rows.Position[first], first, h, q, output, layer);
                        break;
                    case (ScalarType.BFloat16, 1):
                        AttendHead<KvBFloat16>(rows.Tables[b], rows.Position[first], first, h, q, output, layer);
                        break;
                    case (_, 1):
                        AttendHead<KvFloat32>(rows.Tables[b], rows.Position[first], first, h, q, output, layer);
                        break;
                    case (ScalarType.Float16, var count):
                        AttendChunk<KvFloat16>(rows.Tables[b], batch[b].StartPos, count, first, h, q, output, layer);
                        break;
                    case (ScalarType.BFloat16, var count):
                        AttendChunk<KvBFloat16>(rows.Tables[b], batch[b].StartPos, count, first, h, q, output, layer);
                        break;
                    case (_, var count):
                        AttendChunk<KvFloat32>(rows.Tables[b], batch[b].StartPos, count, first, h, q, output, layer);
                        break;
                }
            }
        });
    }

    /// <summary>Attention of one head of a prefill chunk's rows (first row <paramref name="first"/>) over their sequence.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AttendChunk<T>(int[] blocks, int startPos, int count, int first, int h, float[] q, float[] output, LayerPointers layer)
        where T : unmanaged, IKvElement
    {
        int headDim = _args.HeadDim, dim = _args.Dim, kvDim = _args.KvHeads * headDim, blockSize = _model.Cache.BlockSize;
        var headOffset = (h / (_args.NHeads / _args.KvHeads)) * headDim;
        var needed = ChunkAttention<T>.ScratchLength(count, startPos, headDim, blockSize);
        if (t_chunkScratch is null || t_chunkScratch.Length < needed)
        {
            t_chunkScratch = new float[Math.Max(needed, ChunkAttention<T>.ScratchLength(count, _model.MaxSeqLen - count, headDim, blockSize))];
        }

        fixed (float* scratch = t_chunkScratch)
        fixed (float* queries = &q[(first * dim) + (h * headDim)])
        fixed (float* results = &output[(first * dim) + (h * headDim)])
        {
            ChunkAttention<T>.Attend(queries, dim, count, startPos, layer.CacheK + (headOffset * T.Size), layer.CacheV + (headOffset * T.Size), kvDim, headDim,
                blocks, blockSize, 1f / MathF.Sqrt(headDim), scratch, results, dim);
        }
    }

    /// <summary>Attention of one head of one row's query over positions 0..pos of its sequence, read block by block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AttendHead<T>(int[] blocks, int pos, int r, int h, float[] q, float[] output, LayerPointers layer)
        where T : unmanaged, IKvElement
    {
        int headDim = _args.HeadDim, dim = _args.Dim, kvDim = _args.KvHeads * headDim, blockSize = _model.Cache.BlockSize;
        var headOffset = (h / (_args.NHeads / _args.KvHeads)) * headDim;
        var length = pos + 1;
        if (t_scores is null || t_scores.Length < length)
        {
            t_scores = new float[Math.Max(length, _model.MaxSeqLen)];
        }

        fixed (float* scores = t_scores)
        fixed (float* query = &q[(r * dim) + (h * headDim)])
        fixed (float* result = &output[(r * dim) + (h * headDim)])
        {
            HeadAttention<T>.Scores(query, layer.CacheK + (headOffset * T.Size), kvDim, headDim, blocks, blockSize, length, 1f / MathF.Sqrt(headDim), scores);
            var span = new Span<float>(scores, length);
            // TensorPrimitives.SoftMax exponentiates the scores as they are: a score above 88 would overflow to
            // infinity and the row to NaN. Meta's softmax is shifted by the largest score first; so is this one.
            TensorPrimitives.Subtract(span, TensorPrimitives.Max(span), span);
            TensorPrimitives.SoftMax(span, span);
            HeadAttention<T>.Weighted(scores, layer.CacheV + (headOffset * T.Size), kvDim, headDim, blocks, blockSize, length, result);
        }
    }

    private static float* Pointer(Tensor tensor) => (float*)CpuWeight.Address(tensor, ScalarType.Float32);

    /// <summary>A KV cache tensor's memory: float32, float16 or bfloat16.</summary>
    private static byte* CachePointer(Tensor tensor)
    {
        if (!tensor.is_contiguous() || tensor.device_type != DeviceType.CPU ||
            tensor.dtype is not (ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16))
        {
            throw new InvalidOperationException("CPU kernels need a contiguous float32, float16 or bfloat16 CPU KV cache.");
        }

        fixed (byte* data = tensor.bytes)
        {
            return data;
        }
    }

    public void Dispose() => _pool.Dispose();

    /// <summary>The rows of a packed batch: for each, its sequence and position; and each sequence's last row.</summary>
    private sealed class Rows
    {
        private Rows(int[] sequence, int[] position, int[] last, int[][] tables)
        {
            Sequence = sequence;
            Position = position;
            Last = last;
            Tables = tables;
            AttentionWork = position.Sum(p => (long)(p + 1));
        }

        public int Count => Sequence.Length;

        public int[] Sequence { get; }

        public int[] Position { get; }

        public int[] Last { get; }

        /// <summary>Each sequence's block table as an array, for the attention kernels.</summary>
        public int[][] Tables { get; }

        /// <summary>Cached positions all rows attend to together: how much attention work the step has.</summary>
        public long AttentionWork { get; }

        public static Rows Of(IReadOnlyList<SequenceInput> batch)
        {
            var n = batch.Sum(s => s.Tokens.Count);
            var sequence = new int[n];
            var position = new int[n];
            var last = new int[batch.Count];
            for (int b = 0, r = 0; b < batch.Count; b++)
            {
                for (var t = 0; t < batch[b].Tokens.Count; t++, r++)
                {
                    sequence[r] = b;
                    position[r] = batch[b].StartPos + t;
                }

                last[b] = r - 1;
            }

            return new Rows(sequence, position, last, batch.Select(s => s.Blocks as int[] ?? [.. s.Blocks]).ToArray());
        }

        public int Token(IReadOnlyList<SequenceInput> batch, int r) => batch[Sequence[r]].Tokens[Position[r] - batch[Sequence[r]].StartPos];
    }

    private readonly struct LayerPointers(
        CpuWeight wq, CpuWeight wk, CpuWeight wv, CpuWeight wo, CpuWeight w1, CpuWeight w2, CpuWeight w3,
        float* attentionNorm, float* ffnNorm, byte* cacheK, byte* cacheV)
    {
        public CpuWeight Wq { get; } = wq;

        public CpuWeight Wk { get; } = wk;

        public CpuWeight Wv { get; } = wv;

        public CpuWeight Wo { get; } = wo;

        public CpuWeight W1 { get; } = w1;

        public CpuWeight W2 { get; } = w2;

        public CpuWeight W3 { get; } = w3;

        public float* AttentionNorm { get; } = attentionNorm;

        public float* FfnNorm { get; } = ffnNorm;

        /// <summary>The layer's keys, in the cache's element type.</summary>
        public byte* CacheK { get; } = cacheK;

        public byte* CacheV { get; } = cacheV;
    }
}
