using System.Globalization;

namespace LlamaOrleans;

/// <summary>
/// The key of a shard worker: one rank (tensor parallel) or stage (pipeline) of a model on one silo,
/// "{model}#{rank}@{silo}". Its part before '@' is a <see cref="ModelWorkerKey"/> model, so the same placement pins it.
/// </summary>
public static class ShardWorkerKey
{
    private const char Separator = '#';

    public static string For(string model, int rank, string silo) =>
        ModelWorkerKey.For($"{model}{Separator}{rank.ToString(CultureInfo.InvariantCulture)}", silo);

    public static (string Model, int Rank, string Silo) Parse(string key)
    {
        var (shard, silo) = ModelWorkerKey.Parse(key);
        var hash = shard.LastIndexOf(Separator);
        if (hash <= 0 || !int.TryParse(shard.AsSpan(hash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var rank))
        {
            throw new ArgumentException($"'{key}' is not a shard worker key (model#rank@silo).", nameof(key));
        }

        return (shard[..hash], rank, silo);
    }
}
