namespace Llama.Model;

/// <summary>
/// The calls the decode step's CUDA graphs need: <see cref="NativeCudaGraphs"/> binds them to the native library
/// (native/cuda-graphs), tests to a fake that records them.
/// </summary>
public interface ICudaGraphApi
{
    /// <summary>
    /// Records what <paramref name="step"/> launches on CUDA device <paramref name="device"/> as a new graph, without
    /// running it; every graph of this API shares one memory pool.
    /// </summary>
    nint Capture(int device, Action step);

    /// <summary>Runs a captured graph again on the current stream.</summary>
    void Replay(nint graph);

    void Destroy(nint graph);
}
