#!/usr/bin/env bash
# up.sh [N]: brings the whole test bed up (engine, images, registry, N hosts,
# default 2) and writes $PULUMI_KAMAL_CACHE/testbed/testbed.env for the tests.
# Idempotent: a warm run reuses every cached artifact and running host.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

start=$SECONDS
# Everything the steps need, in one go (one apt-get update at most).
ensure_pkgs docker.io debootstrap docker-registry apache2-utils busybox-static openssh-client curl

"$TESTBED_DIR/engine.sh"
"$TESTBED_DIR/base-image.sh"
"$TESTBED_DIR/kamal-proxy-image.sh"
"$TESTBED_DIR/registry.sh" start
"$TESTBED_DIR/app-images.sh"
"$TESTBED_DIR/hosts.sh" up "${1:-2}"

reg="$(registry_addr)"
ips=() names=()
for name in $(host_names); do names+=("$name"); ips+=("$(host_ip "$name")"); done
env_file="$TB/testbed.env"
{
  echo "TESTBED_HOSTS=$(IFS=,; echo "${ips[*]}")"
  echo "TESTBED_HOST_NAMES=$(IFS=,; echo "${names[*]}")"
  echo "TESTBED_SSH_USER=root"
  echo "TESTBED_SSH_KEY=$TB/ssh/id_ed25519"
  echo "TESTBED_KNOWN_HOSTS=$TB/ssh/known_hosts"
  echo "TESTBED_REGISTRY=$reg"
  echo "TESTBED_REGISTRY_USER=$REGISTRY_USER"
  echo "TESTBED_REGISTRY_PASSWORD=$(cat "$TB/registry/password")"
  echo "TESTBED_APP_IMAGE=$reg/pulumi-kamal/testapp"
  echo "TESTBED_PROXY_IMAGE=$PROXY_IMAGE"
} >"$env_file.tmp"
mv "$env_file.tmp" "$env_file"
log "test bed up in $((SECONDS - start))s; $env_file:"
# The registry password is a secret, even a throwaway one: never in a log.
sed "s/^\(TESTBED_REGISTRY_PASSWORD=\).*/\1[secret]/" "$env_file"
