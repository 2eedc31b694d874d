using Llama.Kernels;

namespace Llama.Checkpoints.Gguf;

/// <summary>One tensor of a GGUF file: its name, shape as the model uses it (rows first), block type and data offset.</summary>
/// <param name="Name">llama.cpp's name (<c>blk.0.attn_q.weight</c>).</param>
/// <param name="Shape">Outermost dimension first: GGUF lists dimensions innermost first, so this is their reverse.</param>
/// <param name="Type">How its elements are stored.</param>
/// <param name="Offset">Byte offset of its data in the file.</param>
internal sealed record GgufTensorInfo(string Name, long[] Shape, WeightType Type, long Offset)
{
    /// <summary>Elements of the innermost dimension: one row.</summary>
    public long Columns => Shape[^1];

    public long Rows => Shape.Length == 1 ? 1 : Shape[..^1].Aggregate(1L, (a, b) => a * b);

    public long ByteLength => Rows * Type.RowBytes(Columns);
}
