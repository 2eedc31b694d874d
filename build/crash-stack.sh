#!/usr/bin/env bash
# Prints the frames of the thread that faulted, from a .NET crash report (DOTNET_EnableCrashReport=1): for each, its
# module and its managed method or native symbol, else its offset in the module; at most 40, innermost first.
# build.sh prints them into the test log, since the report itself stays on the machine that crashed.
#   build/crash-stack.sh REPORT.crashreport.json
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: build/crash-stack.sh REPORT.crashreport.json" >&2; exit 2; }
[ -r "$1" ] || { echo "error: cannot read the crash report $1" >&2; exit 1; }
# The runtime writes one field per line; a thread's "crashed" comes before its frames.
awk '
  function value() { sub(/^[^:]*: "/, ""); sub(/",?$/, ""); return $0 }
  /"crashed": "true"/ { on = 1; next }
  on && /"native_thread_id"/ && frames { exit }
  on && /"stack_frames"/ { frames = 1 }
  on && frames && /"(method_name|unmanaged_name)"/ { name = value() }
  on && frames && /"(native_module|filename)"/ { module = value() }
  on && frames && /"native_image_offset"/ { offset = value() }
  on && frames && /^ *},?$/ && (name != "" || module != "") {
    printf "    at %s %s\n", module, (name != "" ? name : "+" offset)
    name = module = offset = ""
    if (++count == 40) exit
  }' "$1"
