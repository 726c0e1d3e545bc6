#!/usr/bin/env bash
# `npm pack`'s prepack: a clean build of what the package ships (see
# tsconfig.build.json), so no file of a deleted source or of a dev build's
# source maps can slip into the tarball.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf dist/index.* dist/common dist/provider dist/components dist/config dist/cli
npx tsc -p tsconfig.build.json
