#!/usr/bin/env bash
# Installs the Redis and PostgreSQL servers the cluster tests run against (Debian packages redis-server and postgresql)
# when they are missing. Idempotent. The tests start their own servers from these binaries, as the current user (or,
# for PostgreSQL under root, as the postgres user the package creates), on free loopback ports in temporary folders,
# and stop them afterwards: no system service is started or needed.
set -euo pipefail

log() { echo "[setup-databases] $*" >&2; }

postgres_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
bin=$(postgres_bin)
{ [ -n "$bin" ] && [ -x "$bin/initdb" ] && [ -x "$bin/pg_ctl" ]; } || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  # policy-rc.d may forbid starting the packaged services; the tests do not use them anyway.
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
  bin=$(postgres_bin)
fi

log "redis-server: $(command -v redis-server); PostgreSQL: $bin"
