#!/usr/bin/env bash
# Provides `pulumi-language-nodejs`, the language plugin `pulumi up` starts for
# a `runtime: nodejs` project. Uses the one already on PATH (the official host
# that ships with the Pulumi CLI); otherwise builds the test bed's small host
# (scripts/testbed/language-host) once per source version: the official one is
# a Go module the module proxy here does not serve.
# Prints the directory holding the binary on stdout; progress goes to stderr.
set -euo pipefail

SRC="$(cd "$(dirname "$0")/language-host" && pwd)"
CACHE="${PULUMI_KAMAL_CACHE:-$HOME/.cache/pulumi-kamal}"

if existing="$(command -v pulumi-language-nodejs 2>/dev/null)" && [ -z "${PULUMI_KAMAL_BUILD_LANGUAGE_HOST:-}" ]; then
  dirname "$(readlink -f "$existing")"
  exit 0
fi

# Keyed by the sources, so an edit rebuilds and an unchanged tree does not.
hash="$(cd "$SRC" && cat go.mod go.sum *.go | sha256sum | cut -c1-12)"
DEST="$CACHE/language-host-$hash/bin"

if [ ! -x "$DEST/pulumi-language-nodejs" ]; then
  echo "building the test bed's pulumi-language-nodejs (first run only)..." >&2
  # Stamped with the sdk version it is built on, as the CLI is.
  version="$(awk '$1 == "github.com/pulumi/pulumi/sdk/v3" { print $2 }' "$SRC/go.mod")"
  (
    cd "$SRC"
    go vet . >&2
    go test -count=1 . >&2
    mkdir -p "$DEST"
    go build -o "$DEST/pulumi-language-nodejs.tmp" \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" . >&2
    mv "$DEST/pulumi-language-nodejs.tmp" "$DEST/pulumi-language-nodejs"
  )
fi

echo "$DEST"
