#!/usr/bin/env bash
# registry.sh start|stop: a real registry (Debian's docker-registry, i.e.
# distribution 2.8) on the outer docker0 address, port 5000, so that both the
# outer engine (push) and the Docker-in-Docker test hosts (pull) reach it.
# Plain HTTP, so every engine that uses it lists it as an insecure registry.
# htpasswd auth (user `testbed`, password in $TB/registry/password) makes the
# tests exercise `docker login` on the hosts, as Kamal does.
# Its storage stays in the cache between stop and start.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DIR="$TB/registry"
PIDFILE="$DIR/registry.pid"
mkdir -p "$DIR" "$CACHE/registry-data"

running_pid() {
  local pid
  pid="$(cat "$PIDFILE" 2>/dev/null || true)"
  [ -n "$pid" ] && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q "docker-registry serve $DIR/config.yml" && echo "$pid"
}

case "${1:-}" in
start)
  ensure_pkgs docker-registry apache2-utils
  addr="$(registry_addr)"
  if pid="$(running_pid)"; then
    grep -q "addr: $addr\$" "$DIR/config.yml" && { log "registry already running on $addr"; exit 0; }
    kill "$pid"  # docker0 moved: restart on the new address
    sleep 1
  fi
  if [ ! -s "$DIR/password" ]; then
    head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$DIR/password"
    chmod 600 "$DIR/password"
  fi
  # bcrypt, the only hash the registry's htpasswd backend accepts.
  htpasswd -Bbc "$DIR/htpasswd" "$REGISTRY_USER" "$(cat "$DIR/password")" 2>/dev/null
  cat >"$DIR/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $CACHE/registry-data
  delete:
    enabled: true
http:
  addr: $addr
  secret: $(head -c 16 /dev/urandom | base64)
auth:
  htpasswd:
    realm: pulumi-kamal-testbed
    path: $DIR/htpasswd
EOF
  log "starting registry on $addr (log: $DIR/registry.log)"
  setsid docker-registry serve "$DIR/config.yml" >>"$DIR/registry.log" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  # Unauthenticated /v2/ answers 401 once the registry serves.
  for _ in $(seq 30); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$addr/v2/")" = 401 ] && { log "registry ready"; exit 0; }
    sleep 0.5
  done
  tail -n 20 "$DIR/registry.log" >&2
  die "registry did not answer on $addr"
  ;;
stop)
  if pid="$(running_pid)"; then
    log "stopping registry (pid $pid)"
    kill "$pid"
  fi
  rm -f "$PIDFILE"
  ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
