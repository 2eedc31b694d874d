using Llama.Checkpoints;
using static TorchSharp.torch;

namespace Llama.Tests.Checkpoints;

/// <summary>The stories260K fixture checkpoints under test/data/fixtures (see its README.md).</summary>
internal static class Fixtures
{
    public const string Meta = "stories260K-meta";
    public const string MetaFp16 = "stories260K-meta-fp16";
    public const string MetaF32 = "stories260K-meta-f32";
    public const string MetaMp2 = "stories260K-meta-mp2";
    public const string Hf = "stories260K-hf";
    public const string HfSharded = "stories260K-hf-sharded";

    public const int Layers = 5;

    public static string Folder(string name) => TestData.Path($"fixtures/{name}");

    /// <summary>Every tensor's bytes as stored, by name.</summary>
    public static Dictionary<string, byte[]> StoredBytes(ICheckpoint checkpoint) =>
        checkpoint.TensorNames.ToDictionary(n => n, n => Bytes(checkpoint.Load(n, checkpoint.StoredType, CPU)));

    /// <summary>A tensor's bytes, disposing it.</summary>
    public static byte[] Bytes(Tensor tensor)
    {
        using (tensor)
        {
            return tensor.bytes.ToArray();
        }
    }
}
