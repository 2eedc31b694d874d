using System.Runtime.InteropServices;
using Llama.Kernels;

namespace Llama.Tests.Kernels;

/// <summary>
/// The kernels read no byte outside a matrix or an input. A matrix can be the last thing in a mapped checkpoint file, and
/// whether the page after the mapping exists depends on where the system put it: a read past the end crashes the
/// process only now and then. Here every matrix and input ends at, or starts after, a page that may not be touched.
/// </summary>
public sealed unsafe partial class GuardedReadTests
{
    public static TheoryData<WeightType, bool> BlockTypes => new()
    {
        { WeightType.Q8_0, true }, { WeightType.Q8_0, false }, { WeightType.Q4_0, true }, { WeightType.Q4_0, false },
        { WeightType.Q4_K, true }, { WeightType.Q4_K, false }, { WeightType.Q6_K, true }, { WeightType.Q6_K, false },
        { WeightType.F16, true }, { WeightType.BF16, true },
    };

    [Theory]
    [MemberData(nameof(BlockTypes))]
    public void Block_kernels_read_only_their_rows_at_every_input_count(WeightType type, bool endsAtGuard)
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "guard pages by mmap");
        const int rows = 9, cols = 512;
        var weights = BlockDotTests.RandomRows(type, rows, cols, new Random(5));
        var expected = Expanded(type, weights, rows, cols);
        using var guardedWeights = new Guarded(weights, endsAtGuard);
        for (var n = 1; n <= 9; n++)
        {
            var x = Inputs(n, cols, n);
            using var guardedInput = new Guarded(MemoryMarshal.AsBytes(x.AsSpan()).ToArray(), endsAtGuard);
            var output = new float[n * rows];
            fixed (float* result = output)
            {
                BlockDot.Rows(type, guardedWeights.Start, cols, (float*)guardedInput.Start, Q8Rows.Of(x, n, cols), n, result, rows, 0, rows);
            }

            AssertProducts(expected, x, n, rows, cols, output, $"{type} n={n}");
        }
    }

    [Theory]
    [InlineData(512, true)]
    [InlineData(512, false)]
    [InlineData(264, true)]
    [InlineData(36, true)]
    public void Float32_rows_read_only_their_rows_at_every_input_count(int cols, bool endsAtGuard)
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "guard pages by mmap");
        const int rows = 11;
        var weights = Inputs(rows, cols, 7);
        using var guardedWeights = new Guarded(MemoryMarshal.AsBytes(weights.AsSpan()).ToArray(), endsAtGuard);
        for (var n = 1; n <= 9; n++)
        {
            var x = Inputs(n, cols, n);
            using var guardedInput = new Guarded(MemoryMarshal.AsBytes(x.AsSpan()).ToArray(), endsAtGuard);
            var output = new float[n * rows];
            fixed (float* result = output)
            {
                RowDot.Rows((float*)guardedWeights.Start, cols, (float*)guardedInput.Start, n, result, rows, 0, rows);
            }

            AssertProducts(weights, x, n, rows, cols, output, $"cols={cols} n={n}");
        }
    }

    [Theory]
    [InlineData(WeightType.Q8_0, true)]
    [InlineData(WeightType.Q8_0, false)]
    [InlineData(WeightType.Q4_K, true)]
    [InlineData(WeightType.Q4_K, false)]
    [InlineData(WeightType.Q6_K, true)]
    [InlineData(WeightType.Q6_K, false)]
    public void Panels_are_packed_and_run_reading_only_their_matrix(WeightType type, bool endsAtGuard)
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "guard pages by mmap");
        Assert.SkipUnless(PanelMatrix.Supports(type, 16), "no AVX-VNNI here: matrices keep their rows");
        const int rows = 16, cols = 512;
        var weights = BlockDotTests.RandomRows(type, rows, cols, new Random(9));
        var expected = Expanded(type, weights, rows, cols);
        using var source = new Guarded(weights, endsAtGuard);
        using var panels = new Guarded(new byte[weights.Length], endsAtGuard);
        var count = rows / PanelMatrix.Rows;
        switch (type)
        {
            case WeightType.Q8_0:
                Q8_0Panels.Pack(source.Start, cols, panels.Start, 0, count);
                break;
            case WeightType.Q4_K:
                Q4_KPanels.Pack(source.Start, cols, panels.Start, 0, count);
                break;
            default:
                Q6_KPanels.Pack(source.Start, cols, panels.Start, 0, count);
                break;
        }

        for (var n = 1; n <= 9; n++)
        {
            var x = Inputs(n, cols, n);
            var output = new float[n * rows];
            fixed (float* result = output)
            {
                PanelMatrix.Run(type, panels.Start, Q8Rows.Of(x, n, cols), result, rows, 0, count);
            }

            AssertProducts(expected, x, n, rows, cols, output, $"{type} n={n}");
        }
    }

    private static float[] Expanded(WeightType type, byte[] weights, int rows, int cols)
    {
        var rowBytes = (int)type.RowBytes(cols);
        var expanded = new float[rows * cols];
        for (var r = 0; r < rows; r++)
        {
            Dequantize.Row(type, weights.AsSpan(r * rowBytes, rowBytes), expanded.AsSpan(r * cols, cols));
        }

        return expanded;
    }

    private static float[] Inputs(int n, int cols, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n * cols).Select(_ => (random.NextSingle() * 2) - 1).ToArray();
    }

    /// <summary>Each product against the float64 dot product of the expanded weights, within the 8-bit inputs' rounding.</summary>
    private static void AssertProducts(float[] weights, float[] x, int n, int rows, int cols, float[] output, string what)
    {
        for (var b = 0; b < n; b++)
        {
            for (var r = 0; r < rows; r++)
            {
                double expected = 0, magnitude = 0;
                for (var i = 0; i < cols; i++)
                {
                    expected += (double)weights[(r * cols) + i] * x[(b * cols) + i];
                    magnitude += Math.Abs((double)weights[(r * cols) + i] * x[(b * cols) + i]);
                }

                var actual = output[(b * rows) + r];
                Assert.True(Math.Abs(actual - expected) <= (0.02 * magnitude) + 1e-4, $"{what}, input {b}, row {r}: {actual} against {expected}");
            }
        }
    }

    /// <summary>
    /// A copy of some bytes in a mapping of their own, next to a page that may not be touched: ending just before it, or
    /// starting just after it.
    /// </summary>
    private sealed class Guarded : IDisposable
    {
        private readonly nint _mapping;
        private readonly nuint _length;

        public Guarded(byte[] bytes, bool endsAtGuard)
        {
            var page = Environment.SystemPageSize;
            var dataPages = (bytes.Length + page - 1) / page;
            _length = (nuint)((dataPages + 2) * page);
            _mapping = Mmap(0, _length, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
            Assert.NotEqual(-1, _mapping);
            // A guard page on either side of the data's pages.
            Assert.Equal(0, Mprotect(_mapping, (nuint)page, ProtNone));
            Assert.Equal(0, Mprotect(_mapping + ((dataPages + 1) * page), (nuint)page, ProtNone));
            Start = (byte*)_mapping + (endsAtGuard ? ((dataPages + 1) * page) - bytes.Length : page);
            bytes.CopyTo(new Span<byte>(Start, bytes.Length));
        }

        public byte* Start { get; }

        public void Dispose() => Munmap(_mapping, _length);
    }

    private const int ProtNone = 0, ProtRead = 1, ProtWrite = 2, MapPrivate = 2, MapAnonymous = 0x20;

    [LibraryImport("libc", EntryPoint = "mmap")]
    private static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "mprotect")]
    private static partial int Mprotect(nint address, nuint length, int protection);

    [LibraryImport("libc", EntryPoint = "munmap")]
    private static partial int Munmap(nint address, nuint length);
}
