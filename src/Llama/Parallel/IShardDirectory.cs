namespace Llama.Parallel;

/// <summary>
/// Where the ranks (or stages) of a distributed model are for the next step. In one process a fixed list; across
/// silos the model registry's placement, which re-places a shard whose silo was lost.
/// </summary>
public interface IShardDirectory<TShard>
{
    /// <summary>The shards in rank or stage order; throws when one has nowhere to run.</summary>
    Task<IReadOnlyList<TShard>> ResolveAsync(CancellationToken cancellationToken = default);

    /// <summary>A call to shard <paramref name="index"/> failed: the next resolve should re-place it.</summary>
    Task ReportLostAsync(int index, Exception error);
}

/// <summary>Shards that never move: every rank or stage in this process.</summary>
public sealed class FixedShards<TShard>(IReadOnlyList<TShard> shards) : IShardDirectory<TShard>
{
    public Task<IReadOnlyList<TShard>> ResolveAsync(CancellationToken cancellationToken = default) => Task.FromResult(shards);

    public Task ReportLostAsync(int index, Exception error) => Task.CompletedTask;
}
