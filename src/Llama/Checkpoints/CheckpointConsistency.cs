using Llama.Checkpoints.Storage;
using Llama.Model;

namespace Llama.Checkpoints;

/// <summary>
/// Checks that a checkpoint's tensors are exactly those its architecture numbers call for, with the
/// shapes they imply. Problems come back as sentences, for an exception or an inspection report.
/// </summary>
internal static class CheckpointConsistency
{
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

        var expected = ExpectedShapes.For(args);

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

    /// <summary>Throws a <see cref="CheckpointException"/> listing every problem, if there are any.</summary>
    public static void ThrowIfAny(IReadOnlyList<string> problems, string path)
    {
        if (problems.Count > 0)
        {
            throw new CheckpointException($"{path} is inconsistent: {string.Join("; ", problems)}.");
        }
    }

    private static bool Matches(long[] have, long[] want) =>
        have.Length == want.Length && have.Zip(want).All(p => p.Second == ExpectedShapes.AnyVocab || p.First == p.Second);

    private static string Describe(long[] shape) =>
        $"[{string.Join(", ", shape.Select(s => s == ExpectedShapes.AnyVocab ? "vocab" : s.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]";
}
