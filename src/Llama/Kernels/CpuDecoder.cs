using System.Numerics.Tensors;
using Llama.Model;
using TorchSharp;

namespace Llama.Kernels;

/// <summary>
/// A decode step (one new token per sequence) for float32 models on the CPU, written as llama2.c's
/// forward: vectorized dot products split across threads, reading the transformer's own weight and
/// KV-cache memory. At batch 1 the step is bound by memory bandwidth, and libtorch's matrix-vector
/// product uses one core where these kernels use all of them.
/// </summary>
internal sealed unsafe class CpuDecoder
{
    private const long MinParallelWork = 1 << 16;

    private readonly Transformer _model;
    private readonly ModelArgs _args;
    private readonly ParallelOptions _parallel;
    private readonly float* _embeddings;
    private readonly float* _output;
    private readonly float* _norm;
    private readonly LayerPointers[] _layers;

    public CpuDecoder(Transformer model, int threads)
    {
        _model = model;
        _args = model.Args;
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = threads };
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
            var sigmoid = new float[gate.Length];
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
        var result = new float[n][];
        for (var b = 0; b < n; b++)
        {
            result[b] = logits.AsSpan(b * vocab, vocab).ToArray();
        }

        return result;
    }

    /// <summary>Meta's RMSNorm on each of <paramref name="n"/> vectors.</summary>
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
        var workers = (int)Math.Clamp((long)totalRows * cols * n / MinParallelWork, 1, _parallel.MaxDegreeOfParallelism);
        if (workers == 1)
        {
            MatMulRows(input, n, cols, jobs, 0, totalRows);
            return;
        }

        Parallel.For(0, workers, _parallel, w =>
            MatMulRows(input, n, cols, jobs, (int)((long)totalRows * w / workers), (int)((long)totalRows * (w + 1) / workers)));
    }

    private static void MatMulRows(float[] input, int n, int cols, MatMulJob[] jobs, int from, int to)
    {
        var first = 0;
        foreach (var job in jobs)
        {
            var start = Math.Max(from, first) - first;
            var end = Math.Min(to, first + job.Rows) - first;
            for (var row = start; row < end; row++)
            {
                var weights = new ReadOnlySpan<float>(job.Weights + ((long)row * cols), cols);
                for (var b = 0; b < n; b++)
                {
                    job.Output[(b * job.Rows) + row] = TensorPrimitives.Dot(weights, input.AsSpan(b * cols, cols));
                }
            }

            first += job.Rows;
        }
    }

    /// <summary>Causal attention of each sequence's query over its cached keys, one task per (sequence, head).</summary>
    private void Attend(IReadOnlyList<SequenceInput> batch, float[] q, float[] output, LayerPointers layer)
    {
        int heads = _args.NHeads, headDim = _args.HeadDim, kvHeads = _args.KvHeads, dim = _args.Dim;
        var kvDim = kvHeads * headDim;
        var groups = heads / kvHeads;
        var scale = 1f / MathF.Sqrt(headDim);
        var maxSeqLen = _model.MaxSeqLen;
        var tasks = batch.Count * heads;
        var longest = batch.Max(s => s.StartPos) + 1;
        void Head(int task)
        {
            var b = task / heads;
            var h = task % heads;
            var seq = batch[b];
            var length = seq.StartPos + 1;
            var query = new ReadOnlySpan<float>(q, (b * dim) + (h * headDim), headDim);
            var scores = new float[length];
            var cacheBase = (long)seq.Slot * maxSeqLen * kvDim + ((h / groups) * headDim);
            for (var j = 0; j < length; j++)
            {
                scores[j] = TensorPrimitives.Dot(query, new ReadOnlySpan<float>(layer.CacheK + cacheBase + ((long)j * kvDim), headDim)) * scale;
            }

            TensorPrimitives.SoftMax(scores, scores);
            var result = output.AsSpan((b * dim) + (h * headDim), headDim);
            result.Clear();
            for (var j = 0; j < length; j++)
            {
                TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(layer.CacheV + cacheBase + ((long)j * kvDim), headDim), scores[j], result, result);
            }
        }

        // Short contexts cost less than handing work to other threads.
        if (tasks * longest < 4096 || _parallel.MaxDegreeOfParallelism == 1)
        {
            for (var t = 0; t < tasks; t++)
            {
                Head(t);
            }
        }
        else
        {
            Parallel.For(0, tasks, _parallel, Head);
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
