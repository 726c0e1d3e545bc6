#!/usr/bin/env bash
# down.sh: removes the test hosts (and their inner Docker state) and stops the
# registry. Keeps what is slow to make: images, rootfs tarballs, the registry's
# storage, the SSH key. The Docker engine keeps running.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if docker info >/dev/null 2>&1; then "$TESTBED_DIR/hosts.sh" down; fi
"$TESTBED_DIR/registry.sh" stop
rm -f "$TB/testbed.env" "$TB/ssh/known_hosts"
log "test bed down"
