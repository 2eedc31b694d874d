using System.Diagnostics;
using Llama.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Llama.Bench.Device;

/// <summary>
/// What a decode step spends gathering history: the tensor path's attention copies every row it attends to out of
/// the paged KV pool (<c>index_select</c>, then widened to the compute type) before the fused kernel reads the copy.
/// Timed alone here, over scattered blocks of the model's own pool, so the bench can state its share of a step.
/// </summary>
internal static class HistoryGather
{
    /// <summary>Seconds one decode step of <paramref name="sequences"/> sequences of <paramref name="history"/> positions spends gathering, every layer's keys and values.</summary>
    public static double SecondsPerStep(KvBlockPool cache, int sequences, int history, ScalarType compute, torch.Device device)
    {
        using var _ = no_grad();
        var blocksPerSequence = (history + cache.BlockSize - 1) / cache.BlockSize;
        // Blocks scattered through the pool, as a pool that has served a while hands them out (fixed seed: same every run).
        var random = new Random(20);
        var blocks = Enumerable.Range(0, cache.BlockCount).OrderBy(_ => random.Next()).ToArray();
        var rows = new long[(long)sequences * history];
        for (var s = 0; s < sequences; s++)
        {
            for (var p = 0; p < history; p++)
            {
                var block = blocks[((s * blocksPerSequence) + (p / cache.BlockSize)) % blocks.Length];
                rows[((long)s * history) + p] = ((long)block * cache.BlockSize) + (p % cache.BlockSize);
            }
        }

        using var index = tensor(rows, device: device);
        void Step()
        {
            using var scope = NewDisposeScope();
            for (var layer = 0; layer < cache.Keys.Length; layer++)
            {
                foreach (var pool in new[] { cache.Keys[layer], cache.Values[layer] })
                {
                    var flat = pool.view(-1, pool.shape[^2], pool.shape[^1]);
                    flat.index_select(0, index).to_type(compute);
                }
            }
        }

        Step();
        var best = double.MaxValue;
        for (var i = 0; i < 5; i++)
        {
            DeviceTimings.Synchronize(device);
            var clock = Stopwatch.StartNew();
            Step();
            DeviceTimings.Synchronize(device);
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }

        return best;
    }
}
