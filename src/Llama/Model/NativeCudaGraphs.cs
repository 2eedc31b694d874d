using System.Runtime.InteropServices;

namespace Llama.Model;

/// <summary>
/// <see cref="ICudaGraphApi"/> over libllama_cuda_graphs.so (native/cuda-graphs, built on the GPU host by
/// build/cuda-graphs-build.sh): libtorch's at::cuda::CUDAGraph, capturing on a side stream into one shared pool.
/// </summary>
public sealed unsafe class NativeCudaGraphs : ICudaGraphApi
{
    /// <summary>The library's file name; <see cref="PathVariable"/> names another path.</summary>
    public const string LibraryName = "libllama_cuda_graphs.so";

    /// <summary>Environment variable with the library's path, when it is not beside the engine's assembly.</summary>
    public const string PathVariable = "LLAMA_CUDA_GRAPHS";

    private readonly delegate* unmanaged<byte*> _lastError;
    private readonly delegate* unmanaged<int, nint*, int> _create;
    private readonly delegate* unmanaged<nint, ulong, ulong, int> _begin;
    private readonly delegate* unmanaged<nint, int> _end;
    private readonly delegate* unmanaged<nint, int> _replay;
    private readonly delegate* unmanaged<nint, void> _destroy;
    private readonly ulong _poolFirst;
    private readonly ulong _poolSecond;

    private NativeCudaGraphs(nint library)
    {
        _lastError = (delegate* unmanaged<byte*>)NativeLibrary.GetExport(library, "llama_graph_last_error");
        _create = (delegate* unmanaged<int, nint*, int>)NativeLibrary.GetExport(library, "llama_graph_create");
        _begin = (delegate* unmanaged<nint, ulong, ulong, int>)NativeLibrary.GetExport(library, "llama_graph_capture_begin");
        _end = (delegate* unmanaged<nint, int>)NativeLibrary.GetExport(library, "llama_graph_capture_end");
        _replay = (delegate* unmanaged<nint, int>)NativeLibrary.GetExport(library, "llama_graph_replay");
        _destroy = (delegate* unmanaged<nint, void>)NativeLibrary.GetExport(library, "llama_graph_destroy");
        var pool = (delegate* unmanaged<ulong*, ulong*, int>)NativeLibrary.GetExport(library, "llama_graph_pool");
        ulong first, second;
        Check(pool(&first, &second), "llama_graph_pool");
        (_poolFirst, _poolSecond) = (first, second);
    }

    /// <summary>
    /// The library from <see cref="PathVariable"/> or beside this assembly, or null when it is absent (the engine
    /// then decodes eagerly); <paramref name="reason"/> says why.
    /// </summary>
    public static NativeCudaGraphs? TryLoad(out string reason)
    {
        var path = Environment.GetEnvironmentVariable(PathVariable);
        if (string.IsNullOrEmpty(path))
        {
            path = Path.Combine(AppContext.BaseDirectory, LibraryName);
        }

        if (!File.Exists(path))
        {
            reason = $"{path} is absent (build/cuda-graphs-build.sh builds it on a GPU host)";
            return null;
        }

        if (!NativeLibrary.TryLoad(path, out var library))
        {
            reason = $"{path} does not load (built against another PyTorch?)";
            return null;
        }

        reason = $"{path} loaded";
        return new NativeCudaGraphs(library);
    }

    public nint Capture(int device, Action step)
    {
        nint graph;
        Check(_create(device, &graph), "llama_graph_create");
        Check(_begin(graph, _poolFirst, _poolSecond), "llama_graph_capture_begin", graph);
        try
        {
            step();
        }
        catch
        {
            // End the capture so the stream is usable again; the step's own error is the one to report.
            _ = _end(graph);
            _destroy(graph);
            throw;
        }

        Check(_end(graph), "llama_graph_capture_end", graph);
        return graph;
    }

    public void Replay(nint graph) => Check(_replay(graph), "llama_graph_replay");

    public void Destroy(nint graph) => _destroy(graph);

    private void Check(int status, string call, nint destroyOnFailure = 0)
    {
        if (status == 0)
        {
            return;
        }

        var message = Marshal.PtrToStringUTF8((nint)_lastError()) ?? "no message";
        if (destroyOnFailure != 0)
        {
            _destroy(destroyOnFailure);
        }

        throw new InvalidOperationException($"{call} failed: {message}");
    }
}
