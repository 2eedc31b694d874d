using Llama.Checkpoints;

namespace Llama.Model;

/// <summary>The shape each tensor of a checkpoint must have for a model of given <see cref="ModelArgs"/>, checked before it is loaded.</summary>
internal sealed class CheckedShapes(ICheckpoint checkpoint, ModelArgs args)
{
    private readonly IReadOnlyDictionary<string, long[]> _expected = ExpectedShapes.For(args, Enumerable.Range(0, args.NLayers));

    /// <summary>The shape of tensor <paramref name="name"/>, once the checkpoint is found to store it so.</summary>
    /// <exception cref="CheckpointException">The checkpoint stores it with another shape.</exception>
    public long[] Check(string name)
    {
        var shape = _expected[name];
        var actual = checkpoint.Shape(name);
        if (!actual.SequenceEqual(shape))
        {
            throw new CheckpointException(
                $"{checkpoint.Path}: tensor '{name}' has shape [{string.Join(", ", actual)}], " +
                $"but the model parameters imply [{string.Join(", ", shape)}].");
        }

        return shape;
    }
}
