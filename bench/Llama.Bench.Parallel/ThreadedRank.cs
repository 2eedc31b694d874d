using Llama.Parallel;

namespace Llama.Bench.Parallel;

/// <summary>
/// An in-process rank whose calls run on the thread pool, so that two ranks compute at the same time as they do on two
/// silos: the in-process baseline then differs from the silos by the messaging alone.
/// </summary>
internal sealed class ThreadedRank(ITensorParallelRank inner) : ITensorParallelRank
{
    public Task<ShardOutput> BeginAsync(ShardStep step) => Task.Run(() => inner.BeginAsync(step));

    public Task<float[]> AttentionAsync(long step, int layer, float[] hidden) => Task.Run(() => inner.AttentionAsync(step, layer, hidden));

    public Task<float[]> FeedForwardAsync(long step, int layer, float[] hidden) => Task.Run(() => inner.FeedForwardAsync(step, layer, hidden));

    public Task<float[]> LogitsAsync(long step, float[] hidden) => Task.Run(() => inner.LogitsAsync(step, hidden));
}
