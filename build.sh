#!/usr/bin/env bash
# Llama.Orleans set-up and entry points, for a fresh Debian/Ubuntu machine with the .NET 10 SDK.
#   ./build.sh demo   install what is missing, build, and chat with the demo model on a local silo
#   ./build.sh test   install what is missing, build, and run every test
set -euo pipefail
cd "$(dirname "$0")"

log() { echo "[build.sh] $*" >&2; }

install_packages() {
  # TorchSharp's native library is made loadable at build time on hosts whose libstdc++ is older than
  # it needs (build/torchsharp-glibcxx.sh): that takes patchelf, readelf (binutils) and g++.
  local missing=()
  command -v patchelf >/dev/null || missing+=(patchelf)
  command -v readelf >/dev/null || missing+=(binutils)
  command -v g++ >/dev/null || missing+=(g++)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

setup() {
  command -v dotnet >/dev/null || { echo "error: the .NET 10 SDK is needed: dotnet is not on PATH" >&2; exit 1; }
  install_packages
  log "building (Release)"
  dotnet build Llama.Orleans.sln -c Release -nologo -v quiet
}

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# True once the silo on port 8080 answers /readyz with 200 (plain bash: curl may not be installed).
ready() {
  (exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /readyz HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3 && head -n 1 <&3 | grep -q ' 200 ') 2>/dev/null
}

# Starts llama-orleans-silo (the embedded default configuration, with its HTTP API and chat page) in the background
# for the demo, unless a silo already runs; waits until it is ready. Prints the silo's process id, or nothing.
start_web_silo() {
  listening 30000 && return 0
  listening 8080 && { log "port 8080 is taken: no chat page this time"; return 0; }
  dotnet src/Silo/bin/Release/net10.0/llama-orleans-silo.dll --Logging:LogLevel:Default=Warning \
    --Logging:LogLevel:Microsoft.Hosting.Lifetime=Warning >artifacts/demo-silo.log 2>&1 &
  local pid=$!
  for _ in $(seq 120); do
    if ready; then echo "$pid"; return 0; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  log "the silo with the chat page did not start (see artifacts/demo-silo.log); chatting without it"
  kill "$pid" 2>/dev/null || true
}

demo() {
  setup
  mkdir -p artifacts
  demo_silo=$(start_web_silo)
  if [ -n "$demo_silo" ]; then
    # SIGTERM: the silo shuts down gracefully when the chat ends.
    trap 'kill "$demo_silo" 2>/dev/null || true' EXIT
    log "web chat page: http://127.0.0.1:8080/ (the same silo, while this chat runs)"
  fi
  log "chatting with the demo model (stories260K) on a local silo; conversations persist in ./data"
  log "(a silo already running on localhost:30000 is used; otherwise one starts in this process)"
  dotnet src/Cli/bin/Release/net10.0/llama-orleans.dll chat "$@"
}

# A test process that crashed (a native fault, not a failing test) took its project's remaining tests with it. Each such
# project runs once more on its own, so the crash cannot hide whether its tests pass; the crash stays reported, with its
# crash report. Succeeds only when the first run failed by crashes alone and every rerun passed.
rerun_crashed() {
  local results=$1 crashes=$2 trx dll project report ok=0 any=0
  for trx in "$results"/*.trx; do
    [ -e "$trx" ] || continue
    if grep -q 'Test process crashed' "$trx"; then
      any=1
      dll=$(grep -o 'storage="[^"]*"' "$trx" | head -1 | sed 's/storage="//; s/"$//')
      project=$(find test -iname "$(basename "${dll%.dll}").csproj" -not -path '*/bin/*' -not -path '*/obj/*' 2>/dev/null | head -1)
      mv "$trx" "$crashes/"
      if [ -z "$project" ]; then
        log "a test process crashed before reporting any test ($(basename "$trx")); see $crashes"
        ok=1
        continue
      fi
      log "CRASH: the test process of $project died of a native fault; crash report in $crashes; running it once more"
      for report in "$crashes"/*.crashreport.json; do
        [ -e "$report" ] || continue
        log "  $report: the faulting thread"
        build/crash-stack.sh "$report" >&2 || true
      done
      dotnet test "$project" -c Release --no-build -nologo --logger trx --results-directory "$results" || ok=1
    elif grep -q '<ResultSummary outcome="Failed"' "$trx"; then
      ok=1
    fi
  done
  [ "$any" = 1 ] && [ "$ok" = 0 ]
}

run_tests() {
  setup
  build/setup-databases.sh
  build/setup-helm.sh
  build/setup-chromium.sh
  local results=artifacts/test-results crashes=artifacts/crashes
  rm -rf "$results" "$crashes"
  mkdir -p "$crashes"
  # A test process that dies of a native fault leaves a crash report (every thread's stack) in artifacts/crashes.
  export DOTNET_DbgEnableMiniDump=1 DOTNET_DbgMiniDumpType=1 DOTNET_EnableCrashReport=1
  export DOTNET_DbgMiniDumpName="$PWD/$crashes/%e.%p.dmp"
  local status=0
  dotnet test Llama.Orleans.sln -c Release --no-build -nologo --logger trx --results-directory "$results" || status=$?
  rerun_crashed "$results" "$crashes" && status=0
  # One closing line for every test project together.
  cat "$results"/*.trx 2>/dev/null | grep -o '<Counters [^>]*>' | awk '
    { for (i = 1; i <= NF; i++) { split($i, kv, "="); gsub(/"/, "", kv[2]); n[kv[1]] += kv[2] } }
    END { printf "%d passed, %d failed, %d skipped\n", n["passed"], n["failed"], n["total"] - n["executed"] }'
  return $status
}

case "${1:-}" in
  demo) shift; demo "$@" ;;
  test) shift; run_tests "$@" ;;
  *) echo "usage: ./build.sh demo | test" >&2; exit 2 ;;
esac
