#!/usr/bin/env bash
# Makes TorchSharp's native library load on hosts whose libstdc++ lacks GLIBCXX_3.4.32
# (e.g. Debian 12). Usage: torchsharp-glibcxx.sh SOURCE_SO OUT_DIR
# Writes OUT_DIR/libLibTorchSharp.so: a plain copy where the host has GLIBCXX_3.4.32, otherwise a
# patched copy that takes std::ios_base_library_init() from a small shim library written beside it.
# Only OUT_DIR is written; running it again with the same input does nothing.
set -euo pipefail
src=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
shim=libllama-glibcxx-shim.so
mkdir -p "$out"
dst="$out/libLibTorchSharp.so"
stamp="$out/.stamp"

libstdcxx=$(ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF; exit}')
if [ -n "$libstdcxx" ] && grep -qa 'GLIBCXX_3\.4\.32' "$libstdcxx"; then
  mode=copy
else
  mode=patch
fi
want="$mode $(stat -c '%s %Y' "$src") $(sha1sum "$here/glibcxx-shim.cpp" "$0" | awk '{printf "%s ", $1}')"
if [ -f "$dst" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi

cp -f "$src" "$dst.tmp"
chmod u+w "$dst.tmp"
rm -f "$out/$shim"
if [ "$mode" = patch ]; then
  for tool in patchelf readelf g++; do
    command -v "$tool" >/dev/null || {
      echo "error: '$tool' is needed to make TorchSharp load on this host (its libstdc++ lacks GLIBCXX_3.4.32); install it with: apt-get install -y patchelf binutils g++" >&2
      exit 1
    }
  done
  g++ -shared -fPIC -O2 -Wl,-soname,$shim -o "$out/$shim" "$here/glibcxx-shim.cpp"
  patchelf --clear-symbol-version _ZSt21ios_base_library_initv "$dst.tmp"
  patchelf --add-needed "$shim" "$dst.tmp"
  # The version requirement itself stays in .gnu.version_r; marking it VER_FLG_WEAK (0x2) makes the
  # loader accept a libstdc++ that lacks it. vna_flags is the 16-bit field 4 bytes into the entry.
  section=$(readelf -W -V "$dst.tmp" | awk '/^Version needs section/ {getline; for (i = 1; i <= NF; i++) if ($i == "Offset:") {print $(i + 1); exit}}')
  entry=$(readelf -W -V "$dst.tmp" | awk '/Name: GLIBCXX_3\.4\.32 / {sub(":", "", $1); print $1; exit}')
  if [ -z "$section" ] || [ -z "$entry" ]; then
    echo "error: cannot find the GLIBCXX_3.4.32 requirement in $src" >&2
    exit 1
  fi
  printf '\x02' | dd of="$dst.tmp" bs=1 seek=$((section + entry + 4)) conv=notrunc status=none
fi
mv -f "$dst.tmp" "$dst"
echo "$want" >"$stamp"
echo "torchsharp-glibcxx: $mode $dst"
