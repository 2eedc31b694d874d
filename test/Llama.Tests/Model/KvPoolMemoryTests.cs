using Llama.Model;
using Llama.Tests.Checkpoints;
using LlamaOrleans.Testing.Checkpoints;
using static TorchSharp.torch;

namespace Llama.Tests.Model;

/// <summary>A CPU KV pool holds the pages of the blocks committed or written, not its whole budget, and reads zeros elsewhere.</summary>
[Collection(nameof(MemoryMeasurement))]
public sealed class KvPoolMemoryTests
{
    [Fact]
    public void A_cpu_pool_takes_memory_as_blocks_are_committed_and_reads_zeros_elsewhere()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "reads /proc/self");
        // 8 layers × 2 × 1,025 blocks × 16 positions × 8 heads × 64 × 4 bytes: 512 MiB of budget.
        const int layers = 8, blocks = 1024, blockSize = 16, heads = 8, headDim = 64;
        // libtorch's start-up belongs to the runtime, not to this pool.
        new KvBlockPool(1, heads, headDim, 1, blockSize, ScalarType.Float32, CPU).Dispose();
        GC.Collect();
        var baseline = ProcessMemory.Resident;
        ProcessMemory.ResetPeak();
        using var pool = new KvBlockPool(layers, heads, headDim, blocks, blockSize, ScalarType.Float32, CPU);
        var budget = pool.Bytes;
        // Committing a block makes its pages resident in every layer, still zero, before the forward writes them.
        pool.Commit(7);
        pool.Commit(7);
        using (var row = ones([heads, headDim]))
        {
            pool.Keys[3][7][5].copy_(row);
        }

        var peak = ProcessMemory.Peak - baseline;
        TestContext.Current.TestOutputHelper?.WriteLine($"budget {budget >> 20} MiB, peak RSS growth {peak >> 20} MiB");
        // Each layer's tensor is zeroed, then handed back, before the next: at most one is ever resident whole.
        var allowed = (budget / (2 * layers)) + (16 << 20);
        Assert.True(peak < allowed, $"peak RSS grew by {peak >> 20} MiB for a {budget >> 20} MiB pool with one position written; {allowed >> 20} MiB allowed");
        Assert.Equal(heads * headDim, pool.Keys[3].sum().item<float>());
        Assert.Equal(0, pool.Values[3].abs().sum().item<float>());
        Assert.Equal(1, pool.Keys[3][7][5][2][9].item<float>());
    }
}
