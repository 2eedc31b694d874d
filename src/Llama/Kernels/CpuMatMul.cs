using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Llama.Kernels;

/// <summary>
/// The matrix products of a forward step on the CPU: each weight matrix against every row of the step, split by weight
/// rows across the worker pool. Float32 weights take the engine's vectorized row kernels up to
/// <c>gemvMaxRows</c> rows and libtorch's blocked GEMM above; block-stored weights always take the block kernels
/// (the panel kernels where they were repacked at load).
/// </summary>
internal sealed unsafe class CpuMatMul(CpuWorkerPool pool, int gemvMaxRows)
{
    private float[]? _aligned;

    /// <summary>output_j[b] = W_j · input[b] for every job and each of the <paramref name="n"/> input rows.</summary>
    public void Run(float[] input, int n, int cols, params Job[] jobs)
    {
        if (n > gemvMaxRows && jobs.All(j => j.Weight.Type == WeightType.F32))
        {
            // Enough rows to reuse each weight from cache many times: a blocked GEMM beats row-by-row dot products.
            using var scope = NewDisposeScope();
            // The input may be longer than its n rows (a pooled array).
            var x = empty([n, cols], ScalarType.Float32);
            input.AsSpan(0, n * cols).CopyTo(new Span<float>((float*)CpuWeight.Address(x, ScalarType.Float32), n * cols));
            foreach (var job in jobs)
            {
                var product = F.linear(x, job.Weight.Tensor).contiguous();
                MemoryMarshal.Cast<byte, float>(product.bytes).CopyTo(job.Output);
            }

            return;
        }

        // The engine's kernels, for block-stored weights at any number of rows: each weight row, read once, meets every
        // input row while it is in cache, and the input is quantized once for all the integer kernels' jobs.
        var q8 = jobs.Any(j => BlockDot.Integer(j.Weight.Type)) ? Q8Rows.Of(input, n, cols) : null;
        var totalRows = jobs.Sum(j => j.Rows);
        // Handing work to another thread costs microseconds: worth it only for large enough products.
        // Several parts per thread let a thread that finishes early take over the rest.
        var parts = (int)Math.Clamp((long)totalRows * cols * n / CpuForward.MinParallelWork, 1, Math.Min(totalRows, pool.Threads * 4));
        // The integer kernels read the quantized copy: only a float32 job needs the aligned floats.
        fixed (float* pinned = input)
        {
            var x = (nint)(jobs.Any(j => j.Weight.Type == WeightType.F32) ? Aligned(input, n * cols) : pinned);
            pool.Run(parts, p => Rows((float*)x, q8, n, cols, jobs, (int)((long)totalRows * p / parts), (int)((long)totalRows * (p + 1) / parts)));
        }
    }

    /// <summary>
    /// The first <paramref name="length"/> inputs copied to a 64-byte boundary, where no 512-bit load of them straddles
    /// two cache lines (which costs two loads): the batched float32 kernels load four input vectors per four weight
    /// vectors. A managed array starts wherever the collector put it.
    /// </summary>
    private float* Aligned(float[] input, int length)
    {
        var x = PinnedScratch.Aligned(ref _aligned, length, 64);
        input.AsSpan(0, length).CopyTo(new Span<float>(x, length));
        return x;
    }

    /// <summary>Rows [from, to) of the jobs' outputs, counted across the jobs; <paramref name="q8"/> is the quantized input block-stored weights need.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows(float* x, Q8Rows? q8, int n, int cols, Job[] jobs, int from, int to)
    {
        var first = 0;
        foreach (var job in jobs)
        {
            var start = Math.Max(from, first) - first;
            var end = Math.Min(to, first + job.Rows) - first;
            if (start < end)
            {
                fixed (float* output = job.Output)
                {
                    if (job.Weight.Type == WeightType.F32)
                    {
                        RowDot.Rows((float*)job.Weight.Data, cols, x, n, output, job.Rows, start, end);
                    }
                    else if (job.Weight.Panels)
                    {
                        // A panel belongs to the part that holds its first row, so parts split anywhere.
                        PanelMatrix.Run(job.Weight.Type, job.Weight.Data, q8!, output, job.Rows, Panel(start), Panel(end));
                    }
                    else
                    {
                        BlockDot.Rows(job.Weight.Type, job.Weight.Data, cols, x, q8, n, output, job.Rows, start, end);
                    }
                }
            }

            first += job.Rows;
        }
    }

    private static int Panel(int row) => (row + PanelMatrix.Rows - 1) / PanelMatrix.Rows;

    /// <summary>One weight matrix's product: its output holds <see cref="Rows"/> values per input row.</summary>
    public readonly struct Job(CpuWeight weight, float[] output, int rows)
    {
        public CpuWeight Weight { get; } = weight;

        public float[] Output { get; } = output;

        public int Rows { get; } = rows;
    }
}
