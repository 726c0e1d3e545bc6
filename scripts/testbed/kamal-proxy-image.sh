#!/usr/bin/env bash
# Builds basecamp/kamal-proxy:v0.9.2 locally, so the default proxy image Kamal
# (and pulumi-kamal) asks for resolves on the test hosts without a registry.
# The binary comes from the Go module proxy; the image copies the shape of
# upstream's Dockerfile: /usr/local/bin/kamal-proxy, user and group
# kamal-proxy, state under /home/kamal-proxy/.config/kamal-proxy (Kamal mounts
# its volume there), EXPOSE 80 443, CMD ["kamal-proxy", "run"], no VOLUME.
# Only the base differs: our Debian minbase instead of Ubuntu noble (both have
# a shell, neither curl).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if docker image inspect "$PROXY_IMAGE" >/dev/null 2>&1; then
  log "$PROXY_IMAGE present"; exit 0
fi
docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 || "$TESTBED_DIR/base-image.sh"

BIN="$CACHE/kamal-proxy-$KAMAL_PROXY_VERSION/kamal-proxy"
if [ ! -x "$BIN" ]; then
  PATH="$PATH:/usr/local/go/bin"
  command -v go >/dev/null || die "Go is needed to build kamal-proxy (not found on PATH)"
  log "building kamal-proxy $KAMAL_PROXY_VERSION from its Go module..."
  work="$CACHE/kamal-proxy-build-$KAMAL_PROXY_VERSION"
  mkdir -p "$work" "$(dirname "$BIN")"
  # `go install module@version` fails here: it asks the proxy for the module's
  # version list (deprecation check), which the proxy refuses. A throwaway
  # module that requires kamal-proxy builds the same main package.
  (
    cd "$work"
    printf 'module pulumikamal.local/kamalproxy\n\ngo 1.24\n' >go.mod
    printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/basecamp/kamal-proxy/cmd/kamal-proxy"\n' >tools.go
    go get "github.com/basecamp/kamal-proxy@$KAMAL_PROXY_VERSION"
    go mod tidy
    # Same flags as upstream's Makefile (CGO_ENABLED=0, -trimpath).
    CGO_ENABLED=0 go build -trimpath -o "$BIN.tmp" github.com/basecamp/kamal-proxy/cmd/kamal-proxy
    mv "$BIN.tmp" "$BIN"
  ) >"$work/build.log" 2>&1 || { tail -n 20 "$work/build.log" >&2; die "kamal-proxy build failed"; }
fi

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
cp "$BIN" "$ctx/kamal-proxy"
# uid 1001 as upstream: its Ubuntu noble base already has `ubuntu` at 1000.
cat >"$ctx/Dockerfile" <<EOF
FROM $BASE_IMAGE
COPY kamal-proxy /usr/local/bin/
EXPOSE 80 443
RUN useradd -u 1001 kamal-proxy \\
    && mkdir -p /home/kamal-proxy/.config/kamal-proxy \\
    && chown -R kamal-proxy:kamal-proxy /home/kamal-proxy
USER kamal-proxy:kamal-proxy
CMD ["kamal-proxy", "run"]
EOF
log "docker build $PROXY_IMAGE"
DOCKER_BUILDKIT=0 docker build -q -t "$PROXY_IMAGE" "$ctx" >"$TB/proxy-build.log" 2>&1 ||
  { cat "$TB/proxy-build.log" >&2; die "docker build $PROXY_IMAGE failed"; }
log "$PROXY_IMAGE built"
