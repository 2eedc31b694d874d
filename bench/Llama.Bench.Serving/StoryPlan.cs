namespace Llama.Bench.Serving;

/// <summary>
/// Which story prompt each request of the throughput sections sends: the warm-up, the single stream and the
/// concurrent streams all differ, so no request finds another's blocks in the engine's prefix cache.
/// </summary>
internal sealed class StoryPlan(int streams)
{
    public int Stream(int stream) => stream;

    public int Single => streams;

    public int Warmup(int stream) => streams + 1 + stream;

    /// <summary>Round <paramref name="round"/> of one stream alone, through Orleans or (<paramref name="direct"/>) to the silo's engine.</summary>
    public int Alone(int round, bool direct) => (2 * streams) + 1 + (2 * round) + (direct ? 1 : 0);
}
