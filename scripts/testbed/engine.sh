#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine. Nothing starts dockerd
# for us (no systemd), so when no daemon answers we start Debian's dockerd in
# the background with a config file of our own. The test registry is plain
# HTTP on the docker0 address, so that daemon must list it as insecure to push.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ensure_pkgs docker.io
CONF="$TB/dockerd.json"

if ! docker info >/dev/null 2>&1; then
  log "starting dockerd (log: $TB/dockerd.log)"
  [ -s "$CONF" ] || echo '{}' >"$CONF"
  # setsid: the daemon must outlive this script and its process group.
  setsid dockerd --config-file "$CONF" >>"$TB/dockerd.log" 2>&1 </dev/null &
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { tail -n 20 "$TB/dockerd.log" >&2; die "dockerd did not come up"; }
fi

# The registry address is docker0's, known only once the daemon runs. dockerd
# reloads insecure-registries on SIGHUP, so no restart is needed.
reg="$(registry_addr)"
if ! docker info --format '{{json .RegistryConfig.IndexConfigs}}' | grep -q "\"$reg\":{[^}]*\"Secure\":false"; then
  pid="$(cat /var/run/docker.pid 2>/dev/null || true)"
  if [ -n "$pid" ] && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "--config-file $CONF"; then
    log "marking $reg as an insecure registry (SIGHUP to dockerd)"
    echo "{\"insecure-registries\": [\"$reg\"]}" >"$CONF"
    kill -HUP "$pid"
    for _ in $(seq 20); do
      docker info --format '{{json .RegistryConfig.IndexConfigs}}' | grep -q "\"$reg\"" && break
      sleep 0.5
    done
  else
    log "WARNING: dockerd was not started by this script; add \"insecure-registries\": [\"$reg\"]"
    log "         to its daemon.json, or pushes to the test registry fail"
  fi
fi
log "docker engine ready ($(docker info --format '{{.ServerVersion}} {{.Driver}}'))"
