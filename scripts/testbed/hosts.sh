#!/usr/bin/env bash
# hosts.sh up [N] | down: N (default 2) Docker-in-Docker "servers" named
# pulumi-kamal-host1..N, each running sshd (root login with the test bed key)
# and its own dockerd, reachable at its address on the outer docker0 bridge.
# `up` reuses running hosts, so a warm run only re-checks them.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SSH_DIR="$TB/ssh"
KEY="$SSH_DIR/id_ed25519"
KNOWN="$SSH_DIR/known_hosts"

# Runs inside each host as its command (under docker's --init, which reaps).
# Host keys are made here, per host, at first boot. dockerd's own bridges are
# moved off 172.17/16, which the host's eth0 already sits on: an overlap
# would hide the registry at 172.17.0.1 from the host.
# /var/lib/docker is a docker volume (a real ext4 directory), so the inner
# dockerd gets overlay2 rather than the slow vfs it picks on an overlay root.
INIT='set -e
mkdir -p /root/.ssh /run/sshd /etc/docker
chmod 700 /root/.ssh
printf "%s\n" "$AUTHORIZED_KEY" >/root/.ssh/authorized_keys
chmod 600 /root/.ssh/authorized_keys
ssh-keygen -A >/dev/null
cat >/etc/docker/daemon.json <<EOF
{"insecure-registries": ["$INSECURE_REGISTRY"], "bip": "10.210.0.1/24",
 "default-address-pools": [{"base": "10.211.0.0/16", "size": 24}]}
EOF
dockerd >/var/log/dockerd.log 2>&1 &
# Tests open many SSH sessions at once; lift the default limits (10).
exec /usr/sbin/sshd -D -e -o MaxStartups=100 -o MaxSessions=100'

hssh() { # IP CMD...: ssh to a host the way tests do (key + captured host keys)
  local ip="$1"; shift
  ssh -i "$KEY" -o IdentitiesOnly=yes -o UserKnownHostsFile="$KNOWN" -o StrictHostKeyChecking=yes \
    -o BatchMode=yes -o ConnectTimeout=5 -o LogLevel=ERROR "root@$ip" "$@"
}

start_host() { # NAME: run the host container, or start it again if stopped
  local name="$1" state
  state="$(docker inspect -f '{{.State.Running}}' "$name" 2>/dev/null || true)"
  [ "$state" = true ] && return 0
  if [ "$state" = false ]; then log "starting $name"; docker start "$name" >/dev/null; return 0; fi
  log "creating $name"
  # --privileged fails on this kind of VM (its bounding set lacks
  # CAP_SYS_RESOURCE); these options give the inner dockerd what it needs.
  docker run -d --name "$name" --hostname "$name" --init \
    --cap-add ALL --cap-drop SYS_RESOURCE \
    --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
    --device-cgroup-rule='a *:* rwm' --tmpfs /run --tmpfs /tmp \
    -v /sys/fs/cgroup:/sys/fs/cgroup:rw -v "$name-docker:/var/lib/docker" \
    -e AUTHORIZED_KEY="$(cat "$KEY.pub")" -e INSECURE_REGISTRY="$(registry_addr)" \
    --label pulumi-kamal-testbed=host \
    --entrypoint /bin/sh "$HOST_IMAGE" -c "$INIT" >/dev/null
}

wait_host() { # NAME: until its dockerd answers and its host keys exist
  local name="$1"
  for _ in $(seq 60); do
    docker exec "$name" sh -c 'docker info >/dev/null 2>&1 && ls /etc/ssh/ssh_host_ed25519_key.pub' >/dev/null 2>&1 && return 0
    sleep 1
  done
  docker exec "$name" tail -n 20 /var/log/dockerd.log >&2 || true
  die "$name: dockerd did not come up"
}

preload_proxy() { # NAME IP: load the kamal-proxy image over SSH unless present
  local name="$1" ip="$2"
  hssh "$ip" docker image inspect "$PROXY_IMAGE" >/dev/null 2>&1 && return 0
  log "$name: loading $PROXY_IMAGE"
  docker save "$PROXY_IMAGE" | hssh "$ip" docker load >/dev/null
}

case "${1:-}" in
up)
  n="${2:-2}"
  ensure_pkgs openssh-client
  docker image inspect "$HOST_IMAGE" >/dev/null 2>&1 || "$TESTBED_DIR/base-image.sh"
  docker image inspect "$PROXY_IMAGE" >/dev/null 2>&1 || "$TESTBED_DIR/kamal-proxy-image.sh"
  mkdir -p "$SSH_DIR"
  [ -f "$KEY" ] || ssh-keygen -q -t ed25519 -N '' -C pulumi-kamal-testbed -f "$KEY"
  # Hosts beyond N (from an earlier, larger run) go away.
  for name in $(host_names); do
    [ "${name#"$HOST_PREFIX"}" -le "$n" ] || { docker rm -f "$name" >/dev/null; docker volume rm -f "$name-docker" >/dev/null; }
  done
  for i in $(seq "$n"); do start_host "$HOST_PREFIX$i"; done
  # Host keys come from the hosts themselves (docker exec), never from the
  # network, so the known_hosts file can be trusted.
  : >"$KNOWN.tmp"
  for i in $(seq "$n"); do
    name="$HOST_PREFIX$i"
    wait_host "$name"
    ip="$(host_ip "$name")"
    docker exec "$name" sh -c 'cat /etc/ssh/ssh_host_*_key.pub' | awk -v ip="$ip" '{ print ip, $1, $2 }' >>"$KNOWN.tmp"
  done
  mv "$KNOWN.tmp" "$KNOWN"
  pids=()
  for i in $(seq "$n"); do
    name="$HOST_PREFIX$i"
    preload_proxy "$name" "$(host_ip "$name")" & pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  for i in $(seq "$n"); do
    name="$HOST_PREFIX$i"; ip="$(host_ip "$name")"
    hssh "$ip" docker info --format '{{.Driver}}' >/dev/null || die "$name: ssh $ip docker info failed"
    log "$name ready at $ip (ssh + docker)"
  done
  ;;
down)
  for name in $(host_names); do
    log "removing $name"
    docker rm -f "$name" >/dev/null
    docker volume rm -f "$name-docker" >/dev/null
  done
  ;;
*) echo "usage: $0 up [N] | down" >&2; exit 2 ;;
esac
