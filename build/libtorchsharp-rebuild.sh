#!/usr/bin/env bash
# Compiles TorchSharp's native libLibTorchSharp.so against an installed PyTorch (its headers and libraries),
# for a host whose libtorch differs from the one TorchSharp's package was built for (build/cuda-device-check.sh
# falls back to it). CPU-only compile: CUDA comes at run time through libtorch_cuda.so.
# Usage: libtorchsharp-rebuild.sh SOURCE_DIR TORCH_DIR OUT_SO
#   SOURCE_DIR  TorchSharp's src/Native/LibTorchSharp (build/cuda-bundle.sh packs it when given TORCHSHARP_SRC)
#   TORCH_DIR   the torch Python package folder (holds include/ and lib/)
# A translation unit that no longer compiles against this PyTorch is left out and named: its entry points
# then fail only when called.
set -uo pipefail
src=$(cd "$1" && pwd)
torch=$(cd "$2" && pwd)
out=$3
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT

abi=$(python3 -c 'import torch; print(int(torch.compiled_with_cxx11_abi()))' 2>/dev/null || echo 1)
flags=(-std=c++17 -O1 -fPIC -fvisibility=hidden -D_GLIBCXX_USE_CXX11_ABI="$abi" -D__LINUX__ -D_NO_ASYNCRTIMP
  -D_NO_PPLXIMP -w -I"$src" -I"$torch/include" -I"$torch/include/torch/csrc/api/include")

compile() {
  local file=$1 object=$build/$(basename "$1").o
  case $file in
    *.c) gcc -O1 -fPIC -fvisibility=hidden -w -c "$file" -o "$object" ;;
    *) g++ "${flags[@]}" -c "$file" -o "$object" ;;
  esac 2>"$object.log" || { echo "libtorchsharp-rebuild: left out $(basename "$file"): $(grep -m1 'error' "$object.log")"; rm -f "$object"; }
}
export -f compile
export build src
export flags_joined="${flags[*]}"
# Each job rebuilds the flags array from the exported string (arrays do not cross into bash -c).
find "$src" -maxdepth 1 \( -name '*.cpp' -o -name '*.c' \) -print0 |
  xargs -0 -P "$(nproc)" -I{} bash -c 'read -ra flags <<<"$flags_joined"; compile "$1"' _ {}

objects=("$build"/*.o)
[ -e "${objects[0]}" ] || { echo "libtorchsharp-rebuild: nothing compiled" >&2; exit 1; }
g++ -shared -o "$out" "${objects[@]}" -Wl,-Bsymbolic -Wl,-Bsymbolic-functions -Wl,-soname,libLibTorchSharp.so \
  -Wl,-rpath,'$ORIGIN/' -L"$torch/lib" -Wl,--no-as-needed -ltorch -ltorch_cpu -lc10 || exit 1
echo "libtorchsharp-rebuild: $out from ${#objects[@]} units against $(python3 -c 'import torch; print(torch.__version__)' 2>/dev/null)"
