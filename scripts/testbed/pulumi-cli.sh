#!/usr/bin/env bash
# Provides a Pulumi CLI plus the dynamic-provider plugin executable beside it.
# Uses the `pulumi` already on PATH when there is one; otherwise builds the CLI
# from its Go module (offline machines cannot run Pulumi's download installer).
# Prints the directory holding `pulumi` on stdout; progress goes to stderr.
set -euo pipefail

PULUMI_VERSION="${PULUMI_VERSION:-v3.274.1}"
CACHE="${PULUMI_KAMAL_CACHE:-$HOME/.cache/pulumi-kamal}"
DEST="$CACHE/pulumi-$PULUMI_VERSION/bin"

if existing="$(command -v pulumi 2>/dev/null)" && [ -z "${PULUMI_KAMAL_BUILD_CLI:-}" ]; then
  dirname "$(readlink -f "$existing")"
  exit 0
fi

if [ ! -x "$DEST/pulumi" ]; then
  echo "building pulumi $PULUMI_VERSION from its Go module (first run only)..." >&2
  work="$CACHE/pulumi-build-$PULUMI_VERSION"
  mkdir -p "$work" "$DEST"
  cd "$work"
  # pkg/v3 carries replace directives, so `go install pkg@version` is refused;
  # a tiny module of our own that requires it builds the same main package.
  cat > go.mod <<MOD
module pulumikamal.local/pulumicli

go 1.24
MOD
  cat > tools.go <<'GO'
//go:build tools

package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
GO
  go get "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION" "github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION" >&2
  go mod tidy >&2
  # Without the version stamp `pulumi version` prints nothing and the
  # Automation API's version check fails.
  go build -o "$DEST/pulumi" \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >&2
fi

# The engine starts dynamic providers as the plugin `pulumi-resource-pulumi-nodejs`,
# looked up beside the CLI; the official CLI ships it as this small launcher.
plugin="$DEST/pulumi-resource-pulumi-nodejs"
if [ ! -x "$plugin" ]; then
  cat > "$plugin" <<'SH'
#!/bin/sh
exec node "$(node -p "require.resolve('@pulumi/pulumi/cmd/dynamic-provider/index.js', { paths: [process.cwd()] })")" "$@"
SH
  chmod +x "$plugin"
fi

echo "$DEST"
