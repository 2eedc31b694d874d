#!/usr/bin/env bash
# Packs the CLI for a GPU host that has PyTorch (CUDA) but no .NET SDK: a framework-dependent publish of
# llama-orleans, llama-orleans-silo and the benches it runs plus copies of this host's .NET shared frameworks, WITHOUT libtorch (the GPU host's
# PyTorch supplies it, CUDA included), xz-compressed into artifacts/cuda-bundle/llama-orleans-cuda.tar.xz.
# build/cuda-device-check.sh unpacks and runs it there; see bench/README.md, "CUDA on a host with PyTorch".
#
# Usage: build/cuda-bundle.sh
#   TORCHSHARP_SRC=DIR  a TorchSharp git repository (work tree or bare) whose HEAD is the release this repo
#                       references; its src/Native/LibTorchSharp then travels too, so the device check can
#                       rebuild libLibTorchSharp.so against the host's PyTorch if the shipped one fails there.
#   BUNDLE_XZ=LEVEL     xz compression level (default 9; the CI test of the scripts uses 0)
#   BUNDLE=FILE         where to write it instead
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/artifacts/cuda-bundle
bundle=${BUNDLE:-$out/llama-orleans-cuda.tar.xz}
cd "$root"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
app=$stage/llama

publish() {
  # Framework-dependent, so both apps share one copied runtime; English resources only, no symbols.
  dotnet publish "$1" -c Release -r linux-x64 --self-contained false -p:SatelliteResourceLanguages=en \
    -p:DebugType=none -p:DebugSymbols=false --nologo -v quiet -o "$2"
}
# The CLI references the silo, so its publish carries llama-orleans-silo too (with its runtimeconfig and deps).
publish src/Cli/Cli.csproj "$app/cli"
publish bench/Llama.Bench/Llama.Bench.csproj "$app/bench"
publish bench/Llama.Bench.Serving/Llama.Bench.Serving.csproj "$app/serving"
publish bench/Llama.Bench.Device/Llama.Bench.Device.csproj "$app/device"

# libtorch comes from the GPU host: drop every file the CPU libtorch package put into the publish.
libtorch_version=$(sed -n 's/.*PackageVersion Include="libtorch-cpu-linux-x64" Version="\([^"]*\)".*/\1/p' Directory.Packages.props)
packages=$(dotnet nuget locals global-packages --list | sed 's/^global-packages: //')
natives=$packages/libtorch-cpu-linux-x64/$libtorch_version/runtimes/linux-x64/native
[ -d "$natives" ] || { echo "error: $natives not found (restore first)" >&2; exit 1; }
for file in "$natives"/*; do
  for dir in "$app"/*/; do
    rm -f "$dir$(basename "$file")"
  done
done
# libLibTorchSharp.so stays: as built here (see build/torchsharp-glibcxx.sh), it loads with any libstdc++.
[ -f "$app/cli/libLibTorchSharp.so" ] || { echo "error: the publish has no libLibTorchSharp.so" >&2; exit 1; }

# The shared frameworks the apps roll forward to: for each one any app's runtimeconfig.json names
# (Microsoft.NETCore.App, and Microsoft.AspNetCore.App for the CLI, which hosts the silo and its HTTP API),
# the newest installed version of its major version.
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
fxr=$(ls "$dotnet_root/host/fxr" | sort -V | tail -n1)
[ -n "$fxr" ] || { echo "error: no hostfxr under $dotnet_root" >&2; exit 1; }
mkdir -p "$app/dotnet/host/fxr"
cp "$dotnet_root/dotnet" "$app/dotnet/"
cp -r "$dotnet_root/host/fxr/$fxr" "$app/dotnet/host/fxr/"
frameworks=$(python3 -c 'import json, sys
for path in sys.argv[1:]:
    options = json.load(open(path))["runtimeOptions"]
    for fw in options.get("frameworks", [options["framework"]] if "framework" in options else []):
        print(fw["name"], fw["version"].split(".")[0])' "$app"/*/*.runtimeconfig.json | sort -u)
[ -n "$frameworks" ] || { echo "error: the publishes name no shared framework" >&2; exit 1; }
runtimes=()
while read -r name major; do
  version=$(dotnet --list-runtimes | awk -v n="$name" -v m="$major" '$1 == n && index($2, m ".") == 1 {print $2}' | sort -V | tail -n1)
  [ -n "$version" ] || { echo "error: no $name $major runtime under $dotnet_root" >&2; exit 1; }
  mkdir -p "$app/dotnet/shared/$name"
  cp -r "$dotnet_root/shared/$name/$version" "$app/dotnet/shared/$name/"
  runtimes+=("$name $version")
done <<<"$frameworks"
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
  echo "dotnet runtimes: $(IFS=,; echo "${runtimes[*]}"), hostfxr $fxr"
  echo "torchsharp native source: $([ -d "$app/torchsharp-native" ] && echo included || echo absent)"
} >"$app/BUNDLE.txt"

mkdir -p "$(dirname "$bundle")"
tar -C "$stage" -cf - llama | xz -T0 "-${BUNDLE_XZ:-9}" >"$bundle.tmp"
mv -f "$bundle.tmp" "$bundle"
cat "$app/BUNDLE.txt"
echo "cuda-bundle: $bundle ($(du -m "$bundle" | cut -f1) MiB; unpacked $(du -sm "$app" | cut -f1) MiB)"
