#!/usr/bin/env bash
# All tests: unit tests, then end-to-end tests on the real test bed (Docker
# engine, SSH hosts running Docker, kamal-proxy, registry, Pulumi engine),
# which this script starts and tears down.
set -euo pipefail
cd "$(dirname "$0")/.."

# The test bed (Pulumi CLI and language host built from Go, Docker engine, host
# images, kamal-proxy, registry: minutes on a bare machine) is prepared in the
# background while the API reference and package tests run; the e2e tests wait
# for it. Not during the unit tests: their real-process watchdog tests time
# sleeps, and the preparation's builds would starve them of CPU.
prep_dir="$(mktemp -d)"
prep=""
cleanup() {
  # A failed test ends the run: stop the preparation before taking the bed down.
  [ -z "$prep" ] || { kill "$prep" 2>/dev/null || true; wait "$prep" 2>/dev/null || true; }
  [ -n "${KEEP_TESTBED:-}" ] || bash scripts/testbed/down.sh
  rm -rf "$prep_dir"
}
trap cleanup EXIT

npm run build --silent
echo "== unit tests"
npx mocha --timeout 20000 'dist/test/unit/**/*.test.js'
(
  set -euo pipefail
  bash scripts/testbed/pulumi-cli.sh >"$prep_dir/cli-dir"
  bash scripts/testbed/language-host.sh >"$prep_dir/language-host-dir"
  # A pair of hosts per e2e file running at once (test/e2e/parallel.ts).
  bash scripts/testbed/up.sh $((2 * ${E2E_PAIRS:-3}))
) >"$prep_dir/log" 2>&1 &
prep=$!
echo "== API reference (typedoc into docs/api; fails when a public type is referenced but not exported)"
npm run docs --silent
echo "== package tests (npm pack, consumers of the tarball)"
# One tarball for every test process: `npm pack` rebuilds dist/, which must not
# happen while other e2e files run from it.
PULUMI_KAMAL_TARBALL="$prep_dir/$(npm pack --silent --pack-destination "$prep_dir" | tail -n1)"
export PULUMI_KAMAL_TARBALL
npx mocha --timeout 300000 'dist/test/package/**/*.test.js'

echo "== test bed"
prep_rc=0
wait "$prep" || prep_rc=$?
prep=""
cat "$prep_dir/log"
[ "$prep_rc" -eq 0 ] || { echo "test bed preparation failed (exit $prep_rc)" >&2; exit "$prep_rc"; }
export PULUMI_CLI_DIR="$(cat "$prep_dir/cli-dir")"
# `pulumi up` on a project directory (examples/) starts the language plugin from PATH.
export PATH="$(cat "$prep_dir/language-host-dir"):$PATH"

echo "== end-to-end tests (${E2E_PAIRS:-3} files at a time, each on its own pair of hosts)"
node dist/test/e2e/parallel.js

echo "== scale benchmark, smoke run (2 hosts, one round: it still runs; figures only, no pass/fail on them)"
node dist/bench/scale.js --smoke
