using Llama.Kernels;
using Llama.Model;
using Llama.Tokenization;
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

    /// <summary>The vocabulary the file carries itself (GGUF), so that no tokenizer file is needed; null for the others.</summary>
    ITokenizer? Tokenizer => null;

    /// <summary>
    /// How a tensor's rows are stored when the file keeps them in blocks the CPU kernels read directly (GGUF's
    /// quantized and 16-bit types); <see cref="WeightType.F32"/> for tensors that are plain floats or come from other formats.
    /// </summary>
    WeightType BlockType(string name) => WeightType.F32;

    /// <summary>A block-stored matrix's bytes as they are, a uint8 CPU tensor [rows, bytes per row].</summary>
    Tensor LoadBlocks(string name) => throw new NotSupportedException($"{Path}: tensor '{name}' is not stored in blocks.");
}
