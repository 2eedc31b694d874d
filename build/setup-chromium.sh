#!/usr/bin/env bash
# Installs Debian's chromium, the browser the web page's end-to-end tests (test/Http.WebUi.Tests) drive
# through Playwright, when it is missing. Playwright's own browser download is never used (and not reachable from CI):
# the tests launch /usr/bin/chromium. Idempotent; prints nothing when chromium is already there.
set -euo pipefail

log() { echo "[setup-chromium] $*" >&2; }

if [ ! -x /usr/bin/chromium ]; then
  log "installing chromium"
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq chromium >/dev/null
fi
