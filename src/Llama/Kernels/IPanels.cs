namespace Llama.Kernels;

/// <summary>
/// One block format in <see cref="PanelMatrix"/> panels: how its rows are packed, and its kernels for four inputs
/// at a time and for one. <see cref="PanelMatrix"/> drives them over panels and inputs.
/// </summary>
internal unsafe interface IPanels
{
    /// <summary>Packs panels [from, to) of the rows at <paramref name="source"/> (the format's own layout) into <paramref name="target"/>.</summary>
    static abstract void Pack(byte* source, int cols, byte* target, int from, int to);

    /// <summary>Bytes of one panel of a matrix of <paramref name="cols"/> columns.</summary>
    static abstract long PanelBytes(int cols);

    /// <summary>output[i * outputStride + r] = W[r] · input b + i for the panel's eight rows r and i in 0..3.</summary>
    static abstract void Four(byte* panel, PanelInputs x, int b, float* output, int outputStride);

    /// <summary>output[r] = W[r] · input b for the panel's eight rows.</summary>
    static abstract void One(byte* panel, PanelInputs x, int b, float* output);
}
