// CUDA graphs for the engine's decode step: TorchSharp has no graph API, so this small library wraps libtorch's
// at::cuda::CUDAGraph behind a C interface the engine calls through P/Invoke (src/Llama/Model/NativeCudaGraphs.cs).
// The engine captures the same TorchSharp calls it would run eagerly, between llama_graph_capture_begin and
// llama_graph_capture_end on the same thread; every input lives in a static device tensor it updates in place
// before each llama_graph_replay. Built on the GPU host against its PyTorch by build/cuda-graphs-build.sh.
//
// Every function returns 0 on success and -1 on failure; llama_graph_last_error then holds the message.
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include <exception>
#include <optional>
#include <string>

namespace {

thread_local std::string last_error;

// A graph, the stream it was captured on and the stream that was current before, restored after capture.
struct Graph {
  explicit Graph(c10::DeviceIndex device) : device(device) {}
  c10::DeviceIndex device;
  at::cuda::CUDAGraph graph;
  std::optional<c10::cuda::CUDAStream> capture_stream;
  std::optional<c10::cuda::CUDAStream> previous_stream;
};

template <typename F>
int guarded(F&& body) {
  try {
    body();
    return 0;
  } catch (const std::exception& e) {
    last_error = e.what();
  } catch (...) {
    last_error = "unknown C++ exception";
  }
  return -1;
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) const char* llama_graph_last_error() { return last_error.c_str(); }

// A memory pool the graphs of one model share: their buckets never replay at the same time.
__attribute__((visibility("default"))) int llama_graph_pool(unsigned long long* first, unsigned long long* second) {
  return guarded([&] {
    auto pool = at::cuda::graph_pool_handle();
    *first = pool.first;
    *second = pool.second;
  });
}

__attribute__((visibility("default"))) int llama_graph_create(int device, void** graph) {
  return guarded([&] { *graph = new Graph(static_cast<c10::DeviceIndex>(device)); });
}

// Capture must run on a stream other than the legacy default one: switch this thread to a pool stream that first
// waits for the work already queued, as torch.cuda.graph does.
__attribute__((visibility("default"))) int llama_graph_capture_begin(void* handle, unsigned long long pool_first,
                                                                     unsigned long long pool_second) {
  return guarded([&] {
    auto* g = static_cast<Graph*>(handle);
    c10::cuda::CUDAGuard guard(g->device);
    g->previous_stream = c10::cuda::getCurrentCUDAStream(g->device);
    g->capture_stream = c10::cuda::getStreamFromPool(false, g->device);
    g->previous_stream->synchronize();
    c10::cuda::setCurrentCUDAStream(*g->capture_stream);
    try {
      // The pool id is a pair of capture ids (unsigned long long); its type's namespace moved between releases.
      g->graph.capture_begin({pool_first, pool_second});
    } catch (...) {
      c10::cuda::setCurrentCUDAStream(*g->previous_stream);
      throw;
    }
  });
}

__attribute__((visibility("default"))) int llama_graph_capture_end(void* handle) {
  return guarded([&] {
    auto* g = static_cast<Graph*>(handle);
    c10::cuda::CUDAGuard guard(g->device);
    try {
      g->graph.capture_end();
    } catch (...) {
      c10::cuda::setCurrentCUDAStream(*g->previous_stream);
      throw;
    }
    c10::cuda::setCurrentCUDAStream(*g->previous_stream);
  });
}

// Replays on the current stream, so it orders after the in-place input updates and before the output's copy back.
__attribute__((visibility("default"))) int llama_graph_replay(void* handle) {
  return guarded([&] {
    auto* g = static_cast<Graph*>(handle);
    c10::cuda::CUDAGuard guard(g->device);
    g->graph.replay();
  });
}

__attribute__((visibility("default"))) void llama_graph_destroy(void* handle) {
  try {
    delete static_cast<Graph*>(handle);
  } catch (...) {
  }
}

}  // extern "C"
