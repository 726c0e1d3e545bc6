#!/usr/bin/env bash
# The demo: web + worker behind kamal-proxy on this machine's Docker engine,
# deployed the way a user does it: examples/demo as a Pulumi project with
# pulumi-kamal installed from the packed package, then `pulumi up`.
#   npm run demo            # deploy (prints the URL)
#   npm run demo -- destroy # remove it
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
action="${1:-up}"
CACHE="${PULUMI_KAMAL_CACHE:-$HOME/.cache/pulumi-kamal}"

bash scripts/testbed/engine.sh
# kamal-proxy: pulled where a registry is reachable, else built from its Go module.
docker image inspect basecamp/kamal-proxy:v0.9.2 >/dev/null 2>&1 ||
  docker pull basecamp/kamal-proxy:v0.9.2 2>/dev/null ||
  bash scripts/testbed/kamal-proxy-image.sh
bash scripts/testbed/app-images.sh --local
# The Pulumi CLI and a Node.js language host: yours when installed, else built from Go modules.
export PATH="$(bash scripts/testbed/pulumi-cli.sh):$(bash scripts/testbed/language-host.sh):$PATH"

# The project, copied out of the repository so that it installs the package as
# a user would (the packed tarball, not a link to this checkout).
work="$CACHE/demo-project"
mkdir -p "$work" "$CACHE/pack"
tarball="$CACHE/pack/$(npm pack --silent --pack-destination "$CACHE/pack" | tail -n 1)"
cp examples/demo/Pulumi.yaml examples/demo/package.json examples/demo/tsconfig.json examples/demo/index.ts "$work/"
(cd "$work" && npm install --silent --no-audit --no-fund "$tarball")

export PULUMI_BACKEND_URL="file://$repo/.pulumi-state"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-demo}"
export PULUMI_SKIP_UPDATE_CHECK=true
mkdir -p "$repo/.pulumi-state"
cd "$work"
pulumi stack select --create demo >/dev/null
if [ "$action" = destroy ]; then
  pulumi destroy --yes
else
  pulumi up --yes
  echo "The demo is up: $(pulumi stack output url)"
fi
