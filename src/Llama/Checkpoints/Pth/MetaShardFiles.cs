using System.Globalization;
using System.Text.RegularExpressions;

namespace Llama.Checkpoints.Pth;

/// <summary>The <c>consolidated.NN.pth</c> shards of a Meta checkpoint folder, in rank order.</summary>
internal static partial class MetaShardFiles
{
    public static bool Any(string folder) =>
        Directory.Exists(folder) && Directory.EnumerateFiles(folder, "*.pth").Any(f => ShardNumber(f) is not null);

    /// <summary>All shard paths by rank; throws naming any missing rank.</summary>
    public static IReadOnlyList<string> Find(string folder)
    {
        var byRank = Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*.pth")
                .Select(path => (Path: path, Rank: ShardNumber(path)))
                .Where(s => s.Rank is not null)
                .ToDictionary(s => s.Rank!.Value, s => s.Path)
            : [];
        if (byRank.Count == 0)
        {
            throw new CheckpointException($"{folder} holds no consolidated.NN.pth shard.");
        }

        var count = byRank.Keys.Max() + 1;
        var missing = Enumerable.Range(0, count).Where(rank => !byRank.ContainsKey(rank)).ToList();
        if (missing.Count > 0)
        {
            var found = string.Join(", ", byRank.OrderBy(s => s.Key).Select(s => Path.GetFileName(s.Value)));
            var names = string.Join(", ", missing.Select(FileName));
            throw new CheckpointException(
                $"{folder}: missing model-parallel shard {names} of {count} (found {found}).");
        }

        return Enumerable.Range(0, count).Select(rank => byRank[rank]).ToList();
    }

    public static string FileName(int rank) => $"consolidated.{rank.ToString("00", CultureInfo.InvariantCulture)}.pth";

    private static int? ShardNumber(string path)
    {
        var match = ShardName().Match(Path.GetFileName(path));
        return match.Success ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }

    [GeneratedRegex(@"^consolidated\.(\d{2,})\.pth$")]
    private static partial Regex ShardName();
}
