using Llama.Checkpoints.Storage;
using Llama.Model;

namespace Llama.Checkpoints;

/// <summary>
/// Checks that a checkpoint's tensors are exactly those its architecture numbers call for, with the
/// shapes they imply. Problems come back as sentences, for an exception or an inspection report.
/// </summary>
internal static class CheckpointConsistency
{
    /// <summary>An exception's message stays one readable line; the inspector reports every problem.</summary>
    private const int MaxProblemsInMessage = 10;

    /// <summary>Problems of <paramref name="checkpoint"/>; <paramref name="argsSource"/> names where its numbers came from.</summary>
    public static IReadOnlyList<string> Check(ICheckpoint checkpoint, string argsSource) =>
        Check(checkpoint.Args, argsSource, checkpoint.TensorNames, checkpoint.Shape, static (_, shape) => shape);

    /// <summary>
    /// Problems of a set of tensors against <paramref name="args"/>. <paramref name="expect"/> turns the
    /// model's shape of a tensor into the one this set should hold (a shard holds a slice).
    /// </summary>
    public static IReadOnlyList<string> Check(
        ModelArgs args,
        string argsSource,
        IReadOnlyCollection<string> names,
        Func<string, long[]> shapeOf,
        Func<string, long[], long[]> expect)
    {
        var problems = new List<string>();
        var present = names.ToHashSet(StringComparer.Ordinal);
        var vocab = args.VocabSize;
        if (vocab <= 0 && present.Contains(TensorNames.TokEmbeddings))
        {
            // The tokenizer decides later; check the rest with the embedding's row count.
            vocab = (int)shapeOf(TensorNames.TokEmbeddings)[0];
        }

        try
        {
            (args with { VocabSize = vocab }).Validate();
        }
        catch (ArgumentException e)
        {
            problems.Add($"{argsSource}: {e.Message}");
        }

        if (args.Dim <= 0 || args.NHeads <= 0 || args.KvHeads <= 0 || args.NLayers < 0)
        {
            // No shapes follow from such numbers.
            return problems;
        }

        // Layers without a single tensor are one problem: a configuration claiming millions of layers must not
        // list (or even enumerate) each of their absent tensors.
        var layers = LayersNamed(present, args.NLayers);
        if (layers.Count < args.NLayers)
        {
            var firstAbsent = Enumerable.Range(0, args.NLayers).First(l => !layers.Contains(l));
            problems.Add(
                $"{argsSource} says n_layers is {args.NLayers}, but {args.NLayers - layers.Count} of those layers have no tensors " +
                $"(the first is layer {firstAbsent})");
        }

        var expected = ExpectedShapes.For(args, layers.Order());

        foreach (var (name, modelShape) in expected)
        {
            if (!present.Contains(name))
            {
                problems.Add($"tensor {name} is missing");
                continue;
            }

            var want = expect(name, modelShape);
            var have = shapeOf(name);
            if (!Matches(have, want))
            {
                problems.Add($"tensor {name} has shape {Shapes.Format(have)} but {argsSource} implies {Describe(want)}");
            }
        }

        foreach (var name in names.Where(n => !expected.ContainsKey(n)))
        {
            problems.Add($"unexpected tensor {name} {Shapes.Format(shapeOf(name))}");
        }

        if (args.VocabSize <= 0 && present.Contains(TensorNames.Output) && present.Contains(TensorNames.TokEmbeddings) &&
            shapeOf(TensorNames.Output)[0] != shapeOf(TensorNames.TokEmbeddings)[0])
        {
            problems.Add(
                $"{TensorNames.Output} has {shapeOf(TensorNames.Output)[0]} rows but {TensorNames.TokEmbeddings} " +
                $"has {shapeOf(TensorNames.TokEmbeddings)[0]}");
        }

        return problems;
    }

    /// <summary>Throws a <see cref="CheckpointException"/> listing the first few problems, if there are any.</summary>
    public static void ThrowIfAny(IReadOnlyList<string> problems, string path)
    {
        if (problems.Count > MaxProblemsInMessage)
        {
            throw new CheckpointException(
                $"{path} is inconsistent: {string.Join("; ", problems.Take(MaxProblemsInMessage))}; " +
                $"and {problems.Count - MaxProblemsInMessage} more problems.");
        }

        if (problems.Count > 0)
        {
            throw new CheckpointException($"{path} is inconsistent: {string.Join("; ", problems)}.");
        }
    }

    /// <summary>The layer indices below <paramref name="layerCount"/> that at least one tensor name falls in.</summary>
    private static HashSet<int> LayersNamed(IEnumerable<string> names, int layerCount)
    {
        const string prefix = "layers.";
        var layers = new HashSet<int>();
        foreach (var name in names)
        {
            var end = name.StartsWith(prefix, StringComparison.Ordinal) ? name.IndexOf('.', prefix.Length) : -1;
            if (end > prefix.Length &&
                int.TryParse(name.AsSpan(prefix.Length, end - prefix.Length), System.Globalization.NumberStyles.None,
                    System.Globalization.CultureInfo.InvariantCulture, out var layer) && layer < layerCount)
            {
                layers.Add(layer);
            }
        }

        return layers;
    }

    private static bool Matches(long[] have, long[] want) =>
        have.Length == want.Length && have.Zip(want).All(p => p.Second == ExpectedShapes.AnyVocab || p.First == p.Second);

    private static string Describe(long[] shape) =>
        $"[{string.Join(", ", shape.Select(s => s == ExpectedShapes.AnyVocab ? "vocab" : s.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]";
}
