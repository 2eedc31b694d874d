using Llama.Model;
using static TorchSharp.torch;

namespace Llama.Checkpoints;

/// <summary>
/// An opened checkpoint: its architecture and its tensors under Meta's names
/// (<see cref="TensorNames"/>), each in Meta's layout (model-parallel shards already merged,
/// Hugging Face's rotate_half permutation already undone).
/// </summary>
public interface ICheckpoint : IDisposable
{
    /// <summary>The file or folder the checkpoint was opened from.</summary>
    string Path { get; }

    CheckpointFormat Format { get; }

    /// <summary>Architecture; <see cref="ModelArgs.VocabSize"/> may be -1 until a tokenizer is known.</summary>
    ModelArgs Args { get; }

    /// <summary>The element type the weights are stored in.</summary>
    ScalarType StoredType { get; }

    /// <summary>Names of the tensors present (Meta's names; extras such as rope.freqs are not listed).</summary>
    IReadOnlyCollection<string> TensorNames { get; }

    /// <summary>True when the output projection is the token embedding table itself (stored once).</summary>
    bool TiedEmbeddings => false;

    /// <summary>Shape of a tensor as the model uses it.</summary>
    long[] Shape(string name);

    /// <summary>Reads a tensor, converted to <paramref name="type"/>, on <paramref name="device"/>.</summary>
    Tensor Load(string name, ScalarType type, Device device);
}
