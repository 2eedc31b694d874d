#!/usr/bin/env bash
# Packs the CLI for a GPU host that has PyTorch (CUDA) but no .NET SDK: a framework-dependent publish of
# llama-orleans and Llama.Bench plus a copy of this host's .NET runtime, WITHOUT libtorch (the GPU host's
# PyTorch supplies it, CUDA included), xz-compressed into artifacts/cuda-bundle/llama-orleans-cuda.tar.xz.
# build/cuda-device-check.sh unpacks and runs it there; see bench/README.md, "CUDA on a host with PyTorch".
#
# Usage: build/cuda-bundle.sh
#   TORCHSHARP_SRC=DIR  a TorchSharp git repository (work tree or bare) whose HEAD is the release this repo
#                       references; its src/Native/LibTorchSharp then travels too, so the device check can
#                       rebuild libLibTorchSharp.so against the host's PyTorch if the shipped one fails there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/artifacts/cuda-bundle
bundle=$out/llama-orleans-cuda.tar.xz
cd "$root"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
app=$stage/llama

publish() {
  # Framework-dependent, so both apps share one copied runtime; English resources only, no symbols.
  dotnet publish "$1" -c Release -r linux-x64 --self-contained false -p:SatelliteResourceLanguages=en \
    -p:DebugType=none -p:DebugSymbols=false --nologo -v quiet -o "$2"
}
publish src/Cli/Cli.csproj "$app/cli"
publish bench/Llama.Bench/Llama.Bench.csproj "$app/bench"
publish bench/Llama.Bench.Serving/Llama.Bench.Serving.csproj "$app/serving"

# libtorch comes from the GPU host: drop every file the CPU libtorch package put into the publish.
libtorch_version=$(sed -n 's/.*PackageVersion Include="libtorch-cpu-linux-x64" Version="\([^"]*\)".*/\1/p' Directory.Packages.props)
packages=$(dotnet nuget locals global-packages --list | sed 's/^global-packages: //')
natives=$packages/libtorch-cpu-linux-x64/$libtorch_version/runtimes/linux-x64/native
[ -d "$natives" ] || { echo "error: $natives not found (restore first)" >&2; exit 1; }
for file in "$natives"/*; do
  rm -f "$app/cli/$(basename "$file")" "$app/serving/$(basename "$file")"
done
# libLibTorchSharp.so stays: as built here (see build/torchsharp-glibcxx.sh), it loads with any libstdc++.
[ -f "$app/cli/libLibTorchSharp.so" ] || { echo "error: the publish has no libLibTorchSharp.so" >&2; exit 1; }

# The .NET runtime the apps roll forward to: the newest installed Microsoft.NETCore.App of their major version.
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
major=$(sed -n 's/.*"version": "\([0-9]*\)\..*/\1/p' "$app/cli/llama-orleans.runtimeconfig.json" | head -n1)
runtime=$(dotnet --list-runtimes | awk -v m="$major" '$1 == "Microsoft.NETCore.App" && index($2, m ".") == 1 {print $2}' | sort -V | tail -n1)
fxr=$(ls "$dotnet_root/host/fxr" | sort -V | tail -n1)
[ -n "$runtime" ] && [ -n "$fxr" ] || { echo "error: no .NET $major runtime under $dotnet_root" >&2; exit 1; }
mkdir -p "$app/dotnet/host/fxr" "$app/dotnet/shared/Microsoft.NETCore.App"
cp "$dotnet_root/dotnet" "$app/dotnet/"
cp -r "$dotnet_root/host/fxr/$fxr" "$app/dotnet/host/fxr/"
cp -r "$dotnet_root/shared/Microsoft.NETCore.App/$runtime" "$app/dotnet/shared/Microsoft.NETCore.App/"
cp "$dotnet_root"/LICENSE.txt "$dotnet_root"/ThirdPartyNotices.txt "$app/dotnet/" 2>/dev/null || true

if [ -n "${TORCHSHARP_SRC:-}" ]; then
  torchsharp_version=$(sed -n 's/.*PackageVersion Include="TorchSharp" Version="\([^"]*\)".*/\1/p' Directory.Packages.props)
  released=$(git -C "$TORCHSHARP_SRC" show HEAD:RELEASENOTES.md | sed -n 's/^# NuGet Version \(.*\)$/\1/p' | head -n1)
  if [ "$released" != "$torchsharp_version" ]; then
    echo "error: $TORCHSHARP_SRC HEAD is TorchSharp $released, this repo references $torchsharp_version" >&2
    exit 1
  fi
  mkdir -p "$app/torchsharp-native"
  git -C "$TORCHSHARP_SRC" archive HEAD src/Native/LibTorchSharp src/Native/Stdafx.h src/Native/UnixSal.h LICENSE.txt |
    tar -x -C "$app/torchsharp-native"
fi

{
  echo "commit $(git rev-parse HEAD)$(git diff --quiet HEAD -- src bench || echo ' (with uncommitted changes)')"
  echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "dotnet runtime $runtime, hostfxr $fxr"
  echo "torchsharp native source: $([ -d "$app/torchsharp-native" ] && echo included || echo absent)"
} >"$app/BUNDLE.txt"

mkdir -p "$out"
tar -C "$stage" -cf - llama | xz -T0 -9 >"$bundle.tmp"
mv -f "$bundle.tmp" "$bundle"
cat "$app/BUNDLE.txt"
echo "cuda-bundle: $bundle ($(du -m "$bundle" | cut -f1) MiB; unpacked $(du -sm "$app" | cut -f1) MiB)"
