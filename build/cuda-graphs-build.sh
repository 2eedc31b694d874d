#!/usr/bin/env bash
# Compiles native/cuda-graphs/llama_cuda_graphs.cpp (CUDA graphs for the engine's decode step) against an installed
# PyTorch with CUDA: its headers and libraries, and the CUDA runtime headers pip's nvidia packages or a toolkit
# provide. build/cuda-device-check.sh runs it on the GPU host; without the library the engine decodes eagerly.
# Usage: cuda-graphs-build.sh TORCH_DIR OUT_SO
#   TORCH_DIR  the torch Python package folder (holds include/ and lib/)
# Exits non-zero with one line saying what is missing when it cannot build.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
torch=$(cd "$1" 2>/dev/null && pwd) || { echo "cuda-graphs-build: no torch folder '$1'" >&2; exit 1; }
out=$2
fail() { echo "cuda-graphs-build: $*" >&2; exit 1; }

command -v g++ >/dev/null || fail "g++ is not installed"
[ -f "$torch/include/ATen/cuda/CUDAGraph.h" ] || fail "$torch/include has no ATen/cuda/CUDAGraph.h (a CPU-only PyTorch?)"
[ -f "$torch/lib/libtorch_cuda.so" ] || fail "$torch/lib has no libtorch_cuda.so (a CPU-only PyTorch?)"
# cuda_runtime_api.h: pip's nvidia wheels (cuda_runtime/include for CUDA 12, cu13/include for 13) or a toolkit.
site=$(dirname "$torch")
cuda_include=$(find "$site/nvidia" /usr/local/cuda/include /usr/local/cuda/targets/x86_64-linux/include -maxdepth 3 \
  -name cuda_runtime_api.h -printf '%h\n' 2>/dev/null | head -n1)
[ -n "$cuda_include" ] || fail "no cuda_runtime_api.h under $site/nvidia or /usr/local/cuda (pip install nvidia-cuda-runtime, or a CUDA toolkit)"
# libcudart: its versioned name where pip installs it without the plain symlink.
cudart=$(find "$(dirname "$cuda_include")" "$site/nvidia" /usr/local/cuda/lib64 -maxdepth 3 -name 'libcudart.so*' 2>/dev/null | sort | head -n1)
[ -n "$cudart" ] || fail "no libcudart.so beside $cuda_include"

abi=$(python3 -c 'import torch; print(int(torch.compiled_with_cxx11_abi()))' 2>/dev/null || echo 1)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! g++ -std=c++17 -O2 -fPIC -shared -fvisibility=hidden -D_GLIBCXX_USE_CXX11_ABI="$abi" \
  -I"$torch/include" -I"$torch/include/torch/csrc/api/include" -I"$cuda_include" \
  "$root/native/cuda-graphs/llama_cuda_graphs.cpp" -o "$out" \
  -L"$torch/lib" -Wl,--no-as-needed -ltorch_cuda -lc10_cuda -ltorch_cpu -lc10 "$cudart" -Wl,-rpath,"$torch/lib" 2>"$log"; then
  grep -m3 'error' "$log" >&2
  fail "compiling native/cuda-graphs/llama_cuda_graphs.cpp failed (above)"
fi
echo "cuda-graphs-build: $out against torch $(python3 -c 'import torch; print(torch.__version__)' 2>/dev/null), CUDA headers $cuda_include"
