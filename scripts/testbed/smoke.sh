#!/usr/bin/env bash
# smoke.sh [HOST_IP]: proves the test bed works end to end, by hand, the way
# Kamal drives a server: over SSH, docker login + pull from the test
# registry, kamal-proxy booted with Kamal's own `docker run` arguments, the
# app deployed behind it, then checked over HTTP from this machine. Then the
# schema gate: v2 is healthy but answers /version 500 until migrated.
# Cleans up after itself (proxy, network, volumes, pulled images, registry
# login), so the tests still see a fresh server: run it on an idle test bed,
# it removes whatever kamal-proxy and `kamal` network the host has.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
# shellcheck disable=SC1091
. "$TB/testbed.env"

ip="${1:-${TESTBED_HOSTS%%,*}}"
h() { ssh -i "$TESTBED_SSH_KEY" -o IdentitiesOnly=yes -o UserKnownHostsFile="$TESTBED_KNOWN_HOSTS" \
  -o StrictHostKeyChecking=yes -o BatchMode=yes -o LogLevel=ERROR "root@$ip" "$@"; }
get() { curl -s -m 5 -w ' [%{http_code}]' "http://$ip$1"; }
expect() { # WHAT GOT WANT
  if [ "$2" = "$3" ]; then log "ok: $1 -> $2"; else die "$1: got '$2', want '$3'"; fi
}
cleanup() {
  h "docker rm -f kamal-proxy smoke-web-v1 smoke-web-v2 >/dev/null 2>&1
     docker volume rm -f kamal-proxy-config smoke-data >/dev/null 2>&1
     docker network rm kamal >/dev/null 2>&1
     docker rmi $TESTBED_APP_IMAGE:v1 $TESTBED_APP_IMAGE:v2 >/dev/null 2>&1
     docker logout $TESTBED_REGISTRY >/dev/null 2>&1
     rm -rf /root/.kamal/proxy/apps-config; rmdir /root/.kamal/proxy /root/.kamal 2>/dev/null
     grep -q '\"auths\": {}' /root/.docker/config.json 2>/dev/null && rm -rf /root/.docker; true"
}
trap cleanup EXIT
cleanup

h docker ps >/dev/null
log "ok: ssh root@$ip docker ps"
h docker login -u "$TESTBED_REGISTRY_USER" --password-stdin "$TESTBED_REGISTRY" <<<"$TESTBED_REGISTRY_PASSWORD" >/dev/null 2>&1
h docker pull -q "$TESTBED_APP_IMAGE:v1" >/dev/null
h docker network create kamal >/dev/null
# As Kamal 2.12 boots the proxy (lib/kamal/commands/proxy.rb + proxy/run.rb).
h docker run --name kamal-proxy --network kamal --detach --restart unless-stopped \
  --volume kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy \
  --volume /root/.kamal/proxy/apps-config:/home/kamal-proxy/.apps-config \
  --publish 80:80 --publish 443:443 --log-opt max-size=10m \
  "$TESTBED_PROXY_IMAGE" kamal-proxy run >/dev/null

deploy() { # VERSION: boot the app container and switch the proxy to it
  local cid
  h docker pull -q "$TESTBED_APP_IMAGE:$1" >/dev/null
  cid="$(h docker run --detach --restart unless-stopped --name "smoke-web-$1" --network kamal \
    -e KAMAL_ROLE=web -e KAMAL_HOST="$ip" -v smoke-data:/data "$TESTBED_APP_IMAGE:$1")"
  h docker exec kamal-proxy kamal-proxy deploy smoke-web --target "${cid:0:12}:80" \
    --deploy-timeout 30s --drain-timeout 30s --health-check-path /up >/dev/null
}
deploy v1
expect "GET /version (v1)" "$(get /version)" "v1 [200]"
expect "GET /env/KAMAL_ROLE" "$(get /env/KAMAL_ROLE)" "web [200]"
deploy v2
expect "GET /up (v2, not migrated)" "$(get /up)" "ok [200]"
expect "GET /version (v2, not migrated)" "$(get /version | sed 's/.* \[/[/')" "[500]"
h docker exec smoke-web-v2 migrate >/dev/null
expect "GET /version (v2, migrated)" "$(get /version)" "v2 [200]"
expect "hook marker" "$(h docker exec smoke-web-v2 cat /tmp/hook-marker | cut -d' ' -f3-)" \
  "v2 KAMAL_ROLE=web KAMAL_HOST=$ip"
log "smoke test passed on $ip"
