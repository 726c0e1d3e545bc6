# Shared helpers for the test bed scripts. Sourced, not run.
# shellcheck shell=bash disable=SC2034  # constants used by the scripts that source this

TESTBED_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$TESTBED_DIR/../.." && pwd)"
CACHE="${PULUMI_KAMAL_CACHE:-$HOME/.cache/pulumi-kamal}"
# Runtime state (keys, registry config, env file, daemon logs) lives here;
# cached build artifacts (rootfs tarballs, binaries) sit beside it in $CACHE.
TB="$CACHE/testbed"
mkdir -p "$TB"

KAMAL_PROXY_VERSION="v0.9.2"
HOST_IMAGE="pulumi-kamal-testbed/host:bookworm"
BASE_IMAGE="pulumi-kamal-testbed/base:bookworm"
PROXY_IMAGE="basecamp/kamal-proxy:$KAMAL_PROXY_VERSION"
HOST_PREFIX="pulumi-kamal-host"
REGISTRY_PORT=5000
REGISTRY_USER="testbed"

log() { echo "testbed: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Installs the Debian packages that are missing, running `apt-get update` at
# most once per up.sh run (the marker is shared by the child scripts).
ensure_pkgs() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "${TESTBED_APT_UPDATED:-}" != 1 ]; then
    log "apt-get update"
    apt-get update -qq >>"$TB/apt.log" 2>&1 || { tail -n 20 "$TB/apt.log" >&2; die "apt-get update failed"; }
    export TESTBED_APT_UPDATED=1
  fi
  log "installing ${missing[*]} (log: $TB/apt.log)"
  DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get install -y -q "${missing[@]}" \
    >>"$TB/apt.log" 2>&1 || { tail -n 20 "$TB/apt.log" >&2; die "apt-get install failed"; }
}

# The outer engine's docker0 address: the registry listens there and the
# test hosts (containers on that bridge) reach it there.
bridge_ip() {
  local ip
  ip="$(docker network inspect bridge --format '{{range .IPAM.Config}}{{.Gateway}}{{end}}' 2>/dev/null || true)"
  [ -n "$ip" ] || ip="$(ip -4 -o addr show docker0 2>/dev/null | awk '{split($4, a, "/"); print a[1]; exit}')"
  [ -n "$ip" ] || die "cannot find the docker0 bridge address (is dockerd up?)"
  echo "$ip"
}
registry_addr() { echo "$(bridge_ip):$REGISTRY_PORT"; }

# The Debian mirror apt already uses (never hard-coded: read from /etc/apt).
# Takes the first source that serves the `bookworm` suite, deb822 or one-line.
debian_mirror() {
  local m
  m="$(awk '
    function flush() { if (uri != "" && suite && !off) { print uri; exit } uri = ""; suite = off = 0 }
    FNR == 1 || /^[[:space:]]*$/ { flush() }
    tolower($1) == "uris:" { uri = $2 }
    tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == "bookworm") suite = 1 }
    tolower($1) == "enabled:" && tolower($2) == "no" { off = 1 }
    END { flush() }
  ' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)"
  if [ -z "$m" ]; then
    m="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      sed -E 's/\[[^]]*\]//' | awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }')"
  fi
  [ -n "$m" ] || die "no Debian bookworm source found in /etc/apt"
  echo "$m"
}

# The test hosts' names and bridge addresses.
host_names() { docker ps -a --filter "name=^${HOST_PREFIX}[0-9]+$" --format '{{.Names}}' | sort -V; }
host_ip() { docker inspect -f '{{.NetworkSettings.Networks.bridge.IPAddress}}' "$1"; }
