#!/usr/bin/env bash
# Verifies and times the engine on a GPU host that has PyTorch (CUDA) but no .NET SDK, from the bundle that
# build/cuda-bundle.sh made (see bench/README.md, "CUDA on a host with PyTorch"). Run from anywhere:
#   build/cuda-device-check.sh [BUNDLE]     (default artifacts/cuda-bundle/llama-orleans-cuda.tar.xz)
# Everything it prints also goes to $OUT/cuda-check.log ($OUT defaults to artifacts/cuda-check), the figures also to
# $OUT/device-bench.tsv and $OUT/silo-http.tsv, the silo's own log to $OUT/silo.log.
# Steps: unpack; point the loader at PyTorch's torch/lib; report libLibTorchSharp.so's unresolved symbols;
# smoke-test each device and run greedy stories260K against test/data/reference/greedy.json (float32 must
# match), and if either fails, again with libLibTorchSharp.so rebuilt against this PyTorch (when the bundle has
# its source); report bfloat16 greedy; time decode on the bench's random 110M model, CUDA against CPU; build the
# CUDA graphs library (native/cuda-graphs) against this PyTorch; run Llama.Bench.Device: a Llama-2-7B-shape random
# model created on the GPU, served by the engine (decode at two contexts as a fraction of the copy bandwidth measured
# in the same run, 32 streams, a 2,000-token prefill against the GPU's bf16 peak, graphs off and on), the 110M shape
# against the CPU, bf16 against f32 logits, and 32 batched greedy streams against the same streams alone; then start
# llama-orleans-silo with the same random model (Llama:Models:0:Random) and run 32 conversations at once over its
# HTTP API, against the engine alone.
# Overrides for trying it on a host without CUDA or PyTorch: CHECK_DEVICES="cpu", TORCH_LIB=DIR (default there, when
# python3 has no torch: the NuGet cache's libtorch-cpu package); CHECK_WORK=DIR unpacks elsewhere; with cpu alone the
# device bench runs a small shape, so the whole script runs on a CPU host (CI does, with CHECK_QUICK=1, which also
# skips the 110M model file and its CLI timings).
# REBUILD_LIBTORCHSHARP=1 rebuilds libLibTorchSharp.so even when the shipped one passes the smoke test.
# PINNED_SECTIONS=LIST skips the checks and timings above and instead runs those serving bench sections on the CPU,
# pinned to two cores (an idle stand-in for the 2-core development host); PINNED_ARGS adds bench options.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bundle=${1:-artifacts/cuda-bundle/llama-orleans-cuda.tar.xz}
out=${OUT:-$root/artifacts/cuda-check}
mkdir -p "$out"
exec > >(tee "$out/cuda-check.log") 2>&1
tee_pid=$!
devices=${CHECK_DEVICES:-cuda cpu}
work=${CHECK_WORK:-/tmp/llama-bundle-check}
verdicts=()
started=$SECONDS

step() { echo; echo "[$(date +%T) +$((SECONDS - started))s] == $*"; }
verdict() { verdicts+=("$1"); echo "RESULT $1"; }
finish() {
  step "summary"
  printf '%s\n' "${verdicts[@]}"
  local code=0
  case " ${verdicts[*]} " in *" FAIL"*) code=1 ;; esac
  # Let tee write the last lines before the log is collected.
  exec >&- 2>&-
  wait "$tee_pid"
  exit "$code"
}

step "host"
timeout 20 nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
echo "glibc: $(ldd --version | head -n1)"
libstdcxx=$(ldconfig -p | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF; exit}')
echo "libstdc++: $libstdcxx, newest $(grep -ao 'GLIBCXX_3\.4\.[0-9]*' "$libstdcxx" | sort -t. -k3 -n | tail -n1)"
echo "g++: $(g++ --version 2>/dev/null | head -n1 || echo absent); cores: $(nproc)"
git log -1 --format='repo: %h %s' 2>/dev/null

step "unpack $bundle"
rm -rf "$work" && mkdir -p "$work"
timeout 90 tar -xJf "$bundle" -C "$work" || { verdict "FAIL unpack"; finish; }
app=$work/llama
cat "$app/BUNDLE.txt"
export DOTNET_ROOT=$app/dotnet DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
cli="$app/dotnet/dotnet $app/cli/llama-orleans.dll"
bench="$app/dotnet/dotnet $app/bench/Llama.Bench.dll"

step "PyTorch"
if [ -z "${TORCH_LIB:-}" ] && [ "$devices" = cpu ] && ! python3 -c 'import torch' 2>/dev/null; then
  # A CPU host without PyTorch (CI): the libtorch of TorchSharp's CPU package in the NuGet cache.
  libtorch_version=$(sed -n 's/.*PackageVersion Include="libtorch-cpu-linux-x64" Version="\([^"]*\)".*/\1/p' Directory.Packages.props)
  TORCH_LIB=${NUGET_PACKAGES:-$HOME/.nuget/packages}/libtorch-cpu-linux-x64/$libtorch_version/runtimes/linux-x64/native
  echo "no PyTorch here: libtorch $libtorch_version from the NuGet cache"
fi
if [ -z "${TORCH_LIB:-}" ]; then
  # One import (it takes seconds): the facts on stderr, torch's folder on stdout.
  torch_dir=$(timeout 120 python3 -c 'import os, sys, torch
print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available(),
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else "-", "cxx11abi", torch.compiled_with_cxx11_abi(), file=sys.stderr)
print(os.path.dirname(torch.__file__))') || { verdict "FAIL python3 cannot import torch"; finish; }
  TORCH_LIB=$torch_dir/lib
fi
torch_dir=$(dirname "$TORCH_LIB")
# pip's CUDA libraries (site-packages/nvidia/...): libtorch_cuda.so's RUNPATH should find them; listing them
# too covers layouts where it does not (Python's torch preloads them itself).
nvidia_libs=$(find "$(dirname "$torch_dir")/nvidia" -maxdepth 3 -type d -name lib 2>/dev/null | sort | paste -sd: -)
export LD_LIBRARY_PATH=$TORCH_LIB${nvidia_libs:+:$nvidia_libs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
ls "$TORCH_LIB" | grep -E '^lib(torch|c10)' | tr '\n' ' '; echo
ldd "$TORCH_LIB/libtorch.so" | grep -E 'torch_cuda|c10_cuda'
[ -f "$TORCH_LIB/libtorch_cuda.so" ] && { ldd "$TORCH_LIB/libtorch_cuda.so" | grep 'not found' || echo "libtorch_cuda.so: all dependencies found"; }

symbols() {
  # Functions bind lazily: an unresolved one only fails when called; data symbols must all resolve at load.
  ldd "$app/cli/libLibTorchSharp.so" | grep -E 'torch|c10|shim|not found'
  local missing
  missing=$(timeout 60 ldd -r "$app/cli/libLibTorchSharp.so" 2>&1 | sed -n 's/^undefined symbol: \([^[:space:],]*\).*/\1/p' | sort -u)
  echo "unresolved symbols of libLibTorchSharp.so against this libtorch: $(printf '%s' "$missing" | grep -c .)"
  printf '%s\n' "$missing" | head -n 60 | (c++filt 2>/dev/null || cat)
}

smoke() {
  local device
  # CPU first: it tells a library that does not load at all from a CUDA-only failure.
  for device in $(printf '%s\n' $devices | sort); do
    echo "-- smoke $device"
    timeout 120 $cli generate --model models/stories260K.bin --tokenizer models/tok512.bin \
      --prompt "Once upon a time" --temperature 0 --max-tokens 16 --device "$device" && continue
    if [ "$device" != cpu ]; then
      echo "-- which CUDA libraries that run loaded (LD_DEBUG=files):"
      LD_DEBUG=files timeout 120 $cli generate --model models/stories260K.bin --prompt x --max-tokens 1 \
        --tokenizer models/tok512.bin --device "$device" 2>&1 | grep -oE 'file=[^ ]*(cuda|cudart|cublas)[^ ]*' | sort -u | head -n 20
    fi
    return 1
  done
}

lib=shipped
can_rebuild() { [ "$lib" = shipped ] && [ -d "$app/torchsharp-native" ] && command -v g++ >/dev/null; }
rebuild() {
  step "rebuild libLibTorchSharp.so against this PyTorch ($1)"
  mv "$app/cli/libLibTorchSharp.so" "$app/cli/libLibTorchSharp.so.shipped"
  lib=rebuilt
  timeout 420 bash build/libtorchsharp-rebuild.sh "$app/torchsharp-native/src/Native/LibTorchSharp" "$torch_dir" \
    "$app/cli/libLibTorchSharp.so" && symbols
}
checked() {
  step "smoke ($lib libLibTorchSharp.so): $devices"
  smoke || return 2
  local device failed=0
  for device in $devices; do
    step "greedy stories260K, $device float32 ($lib libLibTorchSharp.so)"
    if timeout 300 python3 build/cuda-check.py greedy --cli "$cli" --device "$device" --dtype float32; then
      verdict "ok   greedy $device/float32 equals greedy.json ($lib libLibTorchSharp.so)"
    else
      verdict "FAIL greedy $device/float32 differs from greedy.json ($lib libLibTorchSharp.so)"
      failed=1
    fi
  done
  return $failed
}

pinned() {
  step "random 110M model (Llama.Bench models)"
  timeout 180 $bench models --models 110m | tail -n1
  step "serving bench on 2 pinned CPU cores: $PINNED_SECTIONS ${PINNED_ARGS:-}"
  if timeout "${SERVING_TIMEOUT:-480}" taskset -c 0,1 $app/dotnet/dotnet $app/serving/Llama.Bench.Serving.dll --device cpu \
    --threads 2 --sections "$PINNED_SECTIONS" ${PINNED_ARGS:-}; then
    verdict "ok   serving bench sections $PINNED_SECTIONS met their targets on 2 pinned cores"
  else
    verdict "info serving bench sections $PINNED_SECTIONS: targets missed or it failed (see above)"
  fi
  finish
}
[ -n "${PINNED_SECTIONS:-}" ] && pinned

step "libLibTorchSharp.so as shipped"
symbols
if [ -n "${REBUILD_LIBTORCHSHARP:-}" ] && can_rebuild; then
  rebuild "REBUILD_LIBTORCHSHARP set"
fi
checked
result=$?
if [ $result -ne 0 ] && can_rebuild; then
  # The shipped library was built for another libtorch: a missing symbol or a changed layout shows here.
  verdict "info the shipped libLibTorchSharp.so failed $([ $result -eq 2 ] && echo the smoke test || echo greedy); retrying with a rebuilt one"
  verdicts=("${verdicts[@]/#FAIL/diff}")
  rebuild "the shipped one failed"
  checked
  result=$?
fi
[ $result -eq 2 ] && { verdict "FAIL smoke: llama-orleans does not run on $devices ($lib libLibTorchSharp.so)"; finish; }
case " $devices " in *" cuda "*)
  step "greedy stories260K, cuda bfloat16 (reported, not required to match)"
  timeout 300 python3 build/cuda-check.py greedy --cli "$cli" --device cuda --dtype bfloat16 --report-only
  verdict "info greedy cuda/bfloat16 reported above ($lib libLibTorchSharp.so)" ;;
esac

if [ -z "${CHECK_QUICK:-}" ]; then
  step "random 110M model (Llama.Bench models)"
  line=$(timeout 180 $bench models --models 110m | tail -n1)
  model=$(printf '%s' "$line" | cut -f2)
  tokenizer=$(printf '%s' "$line" | cut -f3)
  if [ -f "$model" ]; then
    ls -l "$model"
    configs=()
    for device in $devices; do
      case $device in
        cuda*) configs+=(--config "$device:bfloat16" --config "$device:float32") ;;
        *) configs+=(--config "$device:float32:$(nproc)") ;;
      esac
    done
    step "decode rates, 110M"
    if timeout 420 python3 build/cuda-check.py decode --cli "$cli" --model "$model" --tokenizer "$tokenizer" "${configs[@]}" --tokens 256 --runs 2; then
      verdict "ok   decode 110M timed on: $devices"
    else
      verdict "FAIL decode 110M"
    fi
  else
    verdict "FAIL writing the random 110M model: $line"
  fi
fi

case " $devices " in *" cuda "*)
  step "CUDA graphs library against this PyTorch"
  if timeout 300 bash build/cuda-graphs-build.sh "$torch_dir" "$work/libllama_cuda_graphs.so"; then
    export LLAMA_CUDA_GRAPHS=$work/libllama_cuda_graphs.so
    verdict "ok   CUDA graphs library built"
  else
    verdict "FAIL CUDA graphs library did not build: the device bench decodes eagerly"
  fi ;;
esac

# The device bench: on CUDA the 7B shape (its figures, every one a ratio to a baseline of the same run); with cpu
# alone a small shape, which tries the same code and this script on a CPU host.
device_bench="$app/dotnet/dotnet $app/device/Llama.Bench.Device.dll"
case " $devices " in
  *" cuda "*)
    gpu=$(timeout 20 nvidia-smi --query-gpu=name --format=csv,noheader | head -n1)
    # Nominal dense bf16 peaks (no sparsity), TFLOP/s, from the vendors' data sheets.
    case $gpu in
      *H200*) peak=989 ;; *H100*PCIe*) peak=756 ;; *H100*NVL*) peak=835 ;; *H100*) peak=989 ;;
      *A100*) peak=312 ;; *L40S*) peak=362 ;; *) peak= ;;
    esac
    bench_args=(--device cuda --compare-cpu --batch-check models/stories260K.bin ${peak:+--peak-tflops $peak}) ;;
  *) bench_args=(--device cpu --shape small --contexts 32,160 --streams 4 --tokens 8 --prefill 160 --compare-cpu
    --batch-check models/stories260K.bin) ;;
esac
step "device bench: ${bench_args[*]}"
timeout "${DEVICE_BENCH_TIMEOUT:-360}" $device_bench "${bench_args[@]}" --tsv "$out/device-bench.tsv"
code=$?
# One verdict per figure: ok or miss against its target, FAIL for a broken check, info otherwise.
while IFS= read -r line; do verdicts+=("$line"); done < <(awk -F'\t' 'NR > 1 { printf "%-4s %s: %s %s %s\n", $1, $2, $3, $4, $5 }' "$out/device-bench.tsv" 2>/dev/null)
case $code in
  0) verdict "ok   device bench ran" ;;
  3) verdict "FAIL device bench: a correctness check failed (above)" ;;
  *) verdict "FAIL device bench exited $code" ;;
esac

# End to end: llama-orleans-silo serving the same random model as the device bench (same shape, seed, precision,
# KV budget and batch), that many conversations at once through the HTTP API, against the engine alone above.
silo_model=(Random:Seed=20 MaxBatchSequences=32 PrefillChunkTokens=2000 PrefixCaching=false)
case " $devices " in
  *" cuda "*)
    silo_model+=(Device=cuda Random:Shape=7b MaxSeqLen=4096 KvCacheMemoryFraction=0.6 Tokenizer=$root/test/data/models/llama2-tokenizer.model)
    silo_args=(--conversations 32 --tokens 64 --prompt-tokens 128 --engine-figure "7b 32-stream aggregate decode, context 128, " --target 0.9) ;;
  *)
    silo_model+=(Device=cpu Random:Dim=256 Random:Layers=4 Random:Heads=8 Random:KvHeads=4 Random:HiddenDim=688 MaxSeqLen=1024
      Tokenizer=$root/models/tok512.bin)
    silo_args=(--conversations 4 --tokens 8 --prompt-tokens 32 --engine-figure "small 4-stream aggregate decode, context 32, ") ;;
esac
step "silo over HTTP: ${silo_args[*]}"
timeout "${SILO_TIMEOUT:-300}" python3 build/cuda-check.py silo --silo "$app/dotnet/dotnet $app/cli/llama-orleans-silo.dll" \
  "${silo_model[@]/#/--model-setting=}" "${silo_args[@]}" --engine-tsv "$out/device-bench.tsv" \
  --work "$work/silo" --log "$out/silo.log" --tsv "$out/silo-http.tsv"
code=$?
while IFS= read -r line; do verdicts+=("$line"); done < <(awk -F'\t' 'NR > 1 { printf "%-4s %s: %s %s %s\n", $1, $2, $3, $4, $5 }' "$out/silo-http.tsv" 2>/dev/null)
[ $code -eq 0 ] && verdict "ok   silo served the conversations" || verdict "FAIL silo step exited $code"
finish
