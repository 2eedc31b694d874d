using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Llama.Model;
using TorchSharp;

namespace Llama.Kernels;

/// <summary>
/// A decode step (one new token per sequence) for float32 models on the CPU, written as llama2.c's
/// forward: vectorized dot products split across threads, reading the transformer's own weight and
/// KV-cache memory. At batch 1 the step is bound by memory bandwidth, and libtorch's matrix-vector
/// product uses one core where these kernels use all of them.
/// </summary>
/// <remarks>
/// Hot methods skip tiered compilation: a short generation would otherwise run mostly in unoptimized code.
/// </remarks>
internal sealed unsafe class CpuDecoder : IDisposable
{
    private const long MinParallelWork = 1 << 16;

    /// <summary>Attention scores of the head a thread is working on; reused so decode steps allocate little.</summary>
    [ThreadStatic]
    private static float[]? t_scores;

    private readonly Transformer _model;
    private readonly ModelArgs _args;
    private readonly CpuWorkerPool _pool;
    private readonly float* _embeddings;
    private readonly float* _output;
    private readonly float* _norm;
    private readonly LayerPointers[] _layers;

    public CpuDecoder(Transformer model, int threads)
    {
        _model = model;
        _args = model.Args;
        _pool = new CpuWorkerPool(threads);
        _embeddings = Pointer(model.Embeddings);
        _output = Pointer(model.Output);
        _norm = Pointer(model.Norm.Weight);
        _layers = new LayerPointers[_args.NLayers];
        for (var i = 0; i < _args.NLayers; i++)
        {
            var layer = model.Layers[i];
            _layers[i] = new LayerPointers(
                Pointer(layer.Attention.Wq), Pointer(layer.Attention.Wk), Pointer(layer.Attention.Wv), Pointer(layer.Attention.Wo),
                Pointer(layer.FeedForward.W1), Pointer(layer.FeedForward.W2), Pointer(layer.FeedForward.W3),
                Pointer(layer.AttentionNorm.Weight), Pointer(layer.FfnNorm.Weight),
                Pointer(model.Cache.Keys[i]), Pointer(model.Cache.Values[i]));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public float[][] Decode(IReadOnlyList<SequenceInput> batch)
    {
        int n = batch.Count, dim = _args.Dim, kvDim = _args.KvHeads * _args.HeadDim, hidden = _args.HiddenDim;
        var eps = (float)_args.NormEps;
        var x = new float[n * dim];
        var xb = new float[n * dim];
        var q = new float[n * dim];
        var k = new float[n * kvDim];
        var v = new float[n * kvDim];
        var attended = new float[n * dim];
        var gate = new float[n * hidden];
        var up = new float[n * hidden];
        var sigmoid = new float[n * hidden];

        for (var b = 0; b < n; b++)
        {
            new ReadOnlySpan<float>(_embeddings + ((long)batch[b].Tokens[0] * dim), dim).CopyTo(x.AsSpan(b * dim, dim));
        }

        foreach (var layer in _layers)
        {
            RmsNorm(x, layer.AttentionNorm, xb, n, dim, eps);
            MatMul(xb, n, dim, new MatMulJob(layer.Wq, q, dim), new MatMulJob(layer.Wk, k, kvDim), new MatMulJob(layer.Wv, v, kvDim));
            for (var b = 0; b < n; b++)
            {
                var pos = batch[b].StartPos;
                _model.Rope.Apply(q.AsSpan(b * dim, dim), _args.NHeads, pos);
                _model.Rope.Apply(k.AsSpan(b * kvDim, kvDim), _args.KvHeads, pos);
                var offset = ((long)batch[b].Slot * _model.MaxSeqLen + pos) * kvDim;
                k.AsSpan(b * kvDim, kvDim).CopyTo(new Span<float>(layer.CacheK + offset, kvDim));
                v.AsSpan(b * kvDim, kvDim).CopyTo(new Span<float>(layer.CacheV + offset, kvDim));
            }

            Attend(batch, q, attended, layer);
            MatMul(attended, n, dim, new MatMulJob(layer.Wo, xb, dim));
            TensorPrimitives.Add(x, xb, x);

            RmsNorm(x, layer.FfnNorm, xb, n, dim, eps);
            MatMul(xb, n, dim, new MatMulJob(layer.W1, gate, hidden), new MatMulJob(layer.W3, up, hidden));
            // SwiGLU: silu(gate) * up, with silu(g) = g * sigmoid(g).
            TensorPrimitives.Sigmoid(gate, sigmoid);
            TensorPrimitives.Multiply(gate, sigmoid, gate);
            TensorPrimitives.Multiply(gate, up, gate);
            MatMul(gate, n, hidden, new MatMulJob(layer.W2, xb, dim));
            TensorPrimitives.Add(x, xb, x);
        }

        RmsNorm(x, _norm, xb, n, dim, eps);
        var vocab = _args.VocabSize;
        var logits = new float[n * vocab];
        MatMul(xb, n, dim, new MatMulJob(_output, logits, vocab));
        if (n == 1)
        {
            return [logits];
        }

        var result = new float[n][];
        for (var b = 0; b < n; b++)
        {
            result[b] = logits.AsSpan(b * vocab, vocab).ToArray();
        }

        return result;
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
    /// output_j[b] = W_j · input[b] for every job, the rows of all jobs split evenly across threads so that
    /// each weight row is read once for the whole batch.
    /// </summary>
    private void MatMul(float[] input, int n, int cols, params MatMulJob[] jobs)
    {
        var totalRows = jobs.Sum(j => j.Rows);
        // Handing work to another thread costs microseconds: worth it only for large enough products.
        // Several parts per thread let a thread that finishes early take over the rest.
        var parts = (int)Math.Clamp((long)totalRows * cols * n / MinParallelWork, 1, _pool.Threads * 4);
        _pool.Run(parts, p => MatMulRows(input, n, cols, jobs, (int)((long)totalRows * p / parts), (int)((long)totalRows * (p + 1) / parts)));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MatMulRows(float[] input, int n, int cols, MatMulJob[] jobs, int from, int to)
    {
        var first = 0;
        foreach (var job in jobs)
        {
            var start = Math.Max(from, first) - first;
            var end = Math.Min(to, first + job.Rows) - first;
            if (start < end)
            {
                fixed (float* x = input)
                fixed (float* output = job.Output)
                {
                    RowDot.Rows(job.Weights, cols, x, n, output, job.Rows, start, end);
                }
            }

            first += job.Rows;
        }
    }

    /// <summary>Causal attention of each sequence's query over its cached keys, one task per (sequence, head).</summary>
    private void Attend(IReadOnlyList<SequenceInput> batch, float[] q, float[] output, LayerPointers layer)
    {
        var heads = _args.NHeads;
        var tasks = batch.Count * heads;
        var work = batch.Sum(s => (long)(s.StartPos + 1)) * _args.Dim;
        var parts = work < MinParallelWork ? 1 : tasks;
        _pool.Run(parts, part =>
        {
            for (var task = part; task < tasks; task += parts)
            {
                AttendHead(batch[task / heads], task / heads, task % heads, q, output, layer);
            }
        });
    }

    /// <summary>Causal attention of one head of one sequence's query over its cached keys.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AttendHead(SequenceInput seq, int b, int h, float[] q, float[] output, LayerPointers layer)
    {
        int headDim = _args.HeadDim, dim = _args.Dim, kvDim = _args.KvHeads * headDim;
        var groups = _args.NHeads / _args.KvHeads;
        var scale = 1f / MathF.Sqrt(headDim);
        var length = seq.StartPos + 1;
        if (t_scores is null || t_scores.Length < length)
        {
            t_scores = new float[Math.Max(length, _model.MaxSeqLen)];
        }

        var scores = t_scores.AsSpan(0, length);
        var cacheBase = ((long)seq.Slot * _model.MaxSeqLen * kvDim) + ((h / groups) * headDim);
        fixed (float* query = &q[(b * dim) + (h * headDim)])
        fixed (float* result = &output[(b * dim) + (h * headDim)])
        {
            for (var j = 0; j < length; j++)
            {
                scores[j] = SmallVectors.Dot(query, layer.CacheK + cacheBase + ((long)j * kvDim), headDim) * scale;
            }

            TensorPrimitives.SoftMax(scores, scores);
            new Span<float>(result, headDim).Clear();
            for (var j = 0; j < length; j++)
            {
                SmallVectors.MultiplyAdd(result, layer.CacheV + cacheBase + ((long)j * kvDim), scores[j], headDim);
            }
        }
    }

    private static float* Pointer(torch.Tensor tensor)
    {
        if (!tensor.is_contiguous() || tensor.dtype != torch.ScalarType.Float32 || tensor.device_type != DeviceType.CPU)
        {
            throw new InvalidOperationException("CPU decode kernels need contiguous float32 CPU tensors.");
        }

        fixed (byte* data = tensor.bytes)
        {
            // libtorch owns this memory and never moves it while the tensor lives.
            return (float*)data;
        }
    }

    public void Dispose() => _pool.Dispose();

    private readonly struct MatMulJob(float* weights, float[] output, int rows)
    {
        public float* Weights { get; } = weights;

        public float[] Output { get; } = output;

        public int Rows { get; } = rows;
    }

    private readonly struct LayerPointers(
        float* wq, float* wk, float* wv, float* wo, float* w1, float* w2, float* w3,
        float* attentionNorm, float* ffnNorm, float* cacheK, float* cacheV)
    {
        public float* Wq { get; } = wq;

        public float* Wk { get; } = wk;

        public float* Wv { get; } = wv;

        public float* Wo { get; } = wo;

        public float* W1 { get; } = w1;

        public float* W2 { get; } = w2;

        public float* W3 { get; } = w3;

        public float* AttentionNorm { get; } = attentionNorm;

        public float* FfnNorm { get; } = ffnNorm;

        public float* CacheK { get; } = cacheK;

        public float* CacheV { get; } = cacheV;
    }
}
