using Llama.Checkpoints;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace Llama.Generation;

/// <summary>What <see cref="LlamaGenerator"/> logs while it builds a model.</summary>
internal static partial class GeneratorLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "max_seq_len {MaxSeqLen} exceeds the {Trained} positions the model was trained with")]
    public static partial void BeyondTrainedLength(ILogger logger, int maxSeqLen, int trained);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Loaded {Path} ({Format}, dim {Dim}, {Layers} layers, vocab {Vocab}) on {Device} as {DType} in {Ms} ms")]
    public static partial void Loaded(ILogger logger, string path, CheckpointFormat format, int dim, int layers, int vocab, Device device, ScalarType dType, long ms);
}
