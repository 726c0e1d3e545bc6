#!/usr/bin/env bash
# app-images.sh [--local]: builds the test app (test/app) in its four variants
# on the outer engine and pushes them to the test registry as
# REGISTRY/pulumi-kamal/testapp:TAG. Both that name and the short
# pulumi-kamal/testapp:TAG stay tagged locally. With --local: only the short
# tags, no registry needed (for deploys to this machine's own engine).
#   v1      plain
#   v2      REQUIRES_SCHEMA=2: /version answers 500 until migrated
#   v3      plain
#   broken  /up always 500: never healthy
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ensure_pkgs busybox-static
LOCAL=""; [ "${1:-}" = --local ] && LOCAL=1
REPO="pulumi-kamal/testapp"

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
cp -r "$REPO_DIR/test/app/." "$ctx/"
# Debian's busybox-static: one static binary gives the app a shell, nc, date...
cp "$(dpkg -L busybox-static | grep -m1 -E '/bin/busybox$')" "$ctx/busybox"

if [ -z "$LOCAL" ]; then
  REG="$(registry_addr)"
  # Pushes use a docker config of their own, so the test registry's login
  # does not land in the user's ~/.docker/config.json.
  export DOCKER_CONFIG="$TB/docker-config"
  mkdir -p "$DOCKER_CONFIG"
  docker login -u "$REGISTRY_USER" --password-stdin "$REG" <"$TB/registry/password" >"$TB/app-login.log" 2>&1 ||
    { cat "$TB/app-login.log" >&2; die "docker login $REG failed"; }
fi

for variant in v1 v2:2 v3 broken; do
  tag="${variant%%:*}" schema=""
  [ "$variant" = "$tag" ] || schema="${variant#*:}"
  # The legacy builder's cache makes a rebuild of an unchanged app instant.
  tags=(-t "$REPO:$tag")
  [ -n "$LOCAL" ] || tags+=(-t "$REG/$REPO:$tag")
  DOCKER_BUILDKIT=0 docker build -q --build-arg "VERSION=$tag" --build-arg "REQUIRES_SCHEMA=$schema" \
    "${tags[@]}" "$ctx" >/dev/null 2>"$TB/app-build.log" ||
    { cat "$TB/app-build.log" >&2; die "building $REPO:$tag failed"; }
  if [ -n "$LOCAL" ]; then log "built $REPO:$tag"; continue; fi
  docker push -q "$REG/$REPO:$tag" >/dev/null
  log "pushed $REG/$REPO:$tag"
done
