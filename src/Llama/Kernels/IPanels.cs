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

    /// <summary>
    /// Bytes of what the four-input kernel derives from a panel alone (its scales widened, its values unpacked): made
    /// once per panel by <see cref="Prepare"/> for all of a pass's four-input tiles instead of once per tile; 0 for a
    /// format that derives nothing.
    /// </summary>
    static abstract int PreparedBytes(int cols);

    /// <summary>Derives that from <paramref name="panel"/> into <paramref name="prepared"/> (32-byte aligned).</summary>
    static abstract void Prepare(byte* panel, int cols, byte* prepared);

    /// <summary>
    /// output[i * outputStride + r] = W[r] · input b + i for the panel's eight rows r and i in 0..3, given what
    /// <see cref="Prepare"/> derived from the panel.
    /// </summary>
    static abstract void Four(byte* panel, byte* prepared, PanelInputs x, int b, float* output, int outputStride);

    /// <summary>output[r] = W[r] · input b for the panel's eight rows.</summary>
    static abstract void One(byte* panel, PanelInputs x, int b, float* output);
}
