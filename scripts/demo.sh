#!/usr/bin/env bash
# The demo: web + worker behind kamal-proxy on this machine's Docker engine.
#   npm run demo            # deploy (prints the URL)
#   npm run demo -- destroy # remove it
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/testbed/engine.sh
# kamal-proxy: pulled where a registry is reachable, else built from its Go module.
docker image inspect basecamp/kamal-proxy:v0.9.2 >/dev/null 2>&1 ||
  docker pull basecamp/kamal-proxy:v0.9.2 2>/dev/null ||
  bash scripts/testbed/kamal-proxy-image.sh
bash scripts/testbed/app-images.sh --local
export PULUMI_CLI_DIR="$(bash scripts/testbed/pulumi-cli.sh)"
npm run build --silent
node dist/examples/demo/run.js "${1:-up}"
