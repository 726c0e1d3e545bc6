#!/usr/bin/env bash
# Builds the two Debian images every other test bed image starts from. No
# registry is reachable, so they come from debootstrap trees (apt's own Debian
# mirror) imported with `docker import`. The tarballs are cached, so only the
# first run pays for debootstrap.
#   host image:  sshd + Docker engine, the "servers" Kamal deploys to
#   base image:  minbase + CA certificates, for the kamal-proxy image
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ensure_pkgs debootstrap
ROOTFS="$CACHE/rootfs"
mkdir -p "$ROOTFS/debs"

# build_image TAG NAME INCLUDE
build_image() {
  local tag="$1" name="$2" include="$3" tar="$ROOTFS/$2-bookworm.tar" dir
  if [ ! -s "$tar" ]; then
    dir="$ROOTFS/$name.tmp"
    rm -rf "$dir"
    log "debootstrap $name (bookworm, minbase + $include)..."
    # --cache-dir keeps the .debs, so the second tree reuses the first's.
    debootstrap --variant=minbase --include="$include" --cache-dir="$ROOTFS/debs" \
      bookworm "$dir" "$(debian_mirror)" >"$ROOTFS/$name.log" 2>&1 ||
      { tail -n 20 "$ROOTFS/$name.log" >&2; die "debootstrap $name failed"; }
    # Host keys made by openssh-server's postinst would be shared by every
    # host; each host makes its own at first boot instead. Apt lists and docs
    # are dead weight in an image.
    rm -rf "$dir"/etc/ssh/ssh_host_* "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin \
      "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/locale/*
    tar --numeric-owner -C "$dir" -cf "$tar.tmp" .
    mv "$tar.tmp" "$tar"
    rm -rf "$dir"
  fi
  if ! docker image inspect "$tag" >/dev/null 2>&1; then
    log "docker import $tag"
    docker import --change 'CMD ["/bin/bash"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      "$tar" "$tag" >/dev/null
  fi
}

build_image "$BASE_IMAGE" base ca-certificates
build_image "$HOST_IMAGE" host openssh-server,docker.io,ca-certificates,iproute2,procps
log "base images ready: $BASE_IMAGE $HOST_IMAGE"
