namespace Llama.Kernels;

/// <summary>A pinned <see cref="Q8Rows"/> as the panel kernels read it: where input b's values, scales and sums start.</summary>
internal readonly unsafe struct PanelInputs(sbyte* values, float* scales, float* scaledSums, int* halfSums, int cols)
{
    public int Cols { get; } = cols;

    /// <summary>Blocks of 32 values per input.</summary>
    public int Blocks { get; } = cols / Q8Rows.Block;

    public sbyte* Values(int b) => values + ((long)b * Cols);

    public float* Scales(int b) => scales + (b * Blocks);

    public float* ScaledSums(int b) => scaledSums + (b * Blocks);

    public int* HalfSums(int b) => halfSums + (2 * b * Blocks);
}
