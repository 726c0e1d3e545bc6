#!/usr/bin/env bash
# All tests: unit tests, then end-to-end tests on the real test bed (Docker
# engine, SSH hosts running Docker, kamal-proxy, registry, Pulumi engine),
# which this script starts and tears down.
set -euo pipefail
cd "$(dirname "$0")/.."

npm run build --silent
echo "== unit tests"
npx mocha --timeout 20000 'dist/test/unit/**/*.test.js'
echo "== API reference (typedoc into docs/api; fails when a public type is referenced but not exported)"
npm run docs --silent
echo "== package tests (npm pack, consumers of the tarball)"
npx mocha --timeout 300000 'dist/test/package/**/*.test.js'

echo "== test bed"
export PULUMI_CLI_DIR="$(bash scripts/testbed/pulumi-cli.sh)"
# `pulumi up` on a project directory (examples/) starts the language plugin from PATH.
export PATH="$(bash scripts/testbed/language-host.sh):$PATH"
bash scripts/testbed/up.sh
[ -n "${KEEP_TESTBED:-}" ] || trap 'bash scripts/testbed/down.sh' EXIT

echo "== end-to-end tests"
npx mocha --timeout 900000 --slow 60000 'dist/test/e2e/**/*.test.js'

echo "== scale benchmark, smoke run (2 hosts, one round: it still runs; figures only, no pass/fail on them)"
node dist/bench/scale.js --smoke
