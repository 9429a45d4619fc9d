#!/usr/bin/env bash
# Builds a Debian 12 base image offline: no container registry is needed (none may be
# reachable), only the Debian mirror the host uses. Two flavours:
#
#   systemd  localhost/quire-debian12-systemd:<hash>, the molecule scenarios' hosts: systemd as
#            PID 1 (CMD /sbin/init, STOPSIGNAL SIGRTMIN+3), python3 for Ansible, and the rest
#            of scripts/debian-image-systemd-packages.txt
#   slim     localhost/quire-debian12-slim:<hash>, the Containerfile's BASE_IMAGE when Debian's
#            official debian:bookworm-slim cannot be pulled: the same kind of image (minbase, no
#            documentation, manual pages or translations, now or in packages installed later;
#            CMD bash), plus scripts/debian-image-slim-packages.txt
#
# Usage:
#   scripts/debian-image.sh FLAVOUR      # prints the image's name on stdout; progress on stderr
#   export QUIRE_MOLECULE_IMAGE="$(scripts/debian-image.sh systemd)"
#
# Both: debootstrap's minbase bookworm from the mirror in /etc/apt/sources.list.d/debian.sources,
# plus the flavour's package list. In it: the host's apt sources; the host's extra CA
# certificates (/usr/local/share/ca-certificates/*.crt: outbound TLS may be intercepted, and
# pip or curl in a container must trust what the host trusts); an empty /etc/machine-id
# (systemd makes one per container at boot); /var/lib/apt/lists empty and dated 1970, so that
# an apt task with cache_valid_time runs "apt-get update" instead of trusting a cache that is
# not there.
#
# Cached, by the hash of the build's inputs (the flavour, this script, the package list, the
# apt sources, the CA certificates): nothing to do when the podman store has the tag; else the
# image is loaded from ~/.cache/quire/quire-debian12-FLAVOUR-<hash>.tar (a `podman save` of an
# earlier build, ~10 s); else it is built (1.5-5 min) and saved there (keeping the 3 last used
# tars of each flavour).
#
# Environment:
#   QUIRE_IMAGE_CACHE_DIR  where the saved images are kept (default ~/.cache/quire)
#   QUIRE_IMAGE_WORK_DIR   where the root file system is assembled (default /var/tmp)
#   QUIRE_IMAGE_MIRROR     the Debian mirror (default: the first URIs of debian.sources)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
SCRIPT="$REPO_ROOT/scripts/debian-image.sh"
SOURCES_FILE=/etc/apt/sources.list.d/debian.sources
SUITE=bookworm
CACHE_DIR="${QUIRE_IMAGE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/quire}"
WORK_DIR="${QUIRE_IMAGE_WORK_DIR:-/var/tmp}"

T0=$SECONDS
say() { printf 'debian-image: %s\n' "$*" >&2; }
die() {
    say "ERROR: $*"
    exit 1
}
took() { printf '%ss' "$((SECONDS - $1))"; }

need() {
    local program
    for program in "$@"; do
        command -v "$program" >/dev/null 2>&1 ||
            die "$program not found (scripts/molecule-packages.txt lists what to install; \`make molecule\` and \`make image\` install it)"
    done
}

mirror() {
    if [[ -n ${QUIRE_IMAGE_MIRROR:-} ]]; then
        printf '%s\n' "$QUIRE_IMAGE_MIRROR"
        return 0
    fi
    [[ -r $SOURCES_FILE ]] || die "$SOURCES_FILE not found: set QUIRE_IMAGE_MIRROR"
    # The first URIs of the deb822 file is the main archive (the security one comes after it).
    awk '$1 == "URIs:" { print $2; exit }' "$SOURCES_FILE"
}

ca_certificates() {
    compgen -G '/usr/local/share/ca-certificates/*.crt' | LC_ALL=C sort || true
}

packages() {
    awk '{ sub(/#.*/, ""); gsub(/[[:space:]]+/, "") } length($0)' "$PACKAGES_FILE" | paste -sd, -
}

# The build's inputs, hashed: what changes the image changes its tag.
inputs_hash() {
    local cert
    {
        printf 'flavour %s\nsuite %s\nmirror %s\n' "$FLAVOUR" "$SUITE" "$MIRROR"
        sha256sum "$SCRIPT" "$PACKAGES_FILE" | cut -d' ' -f1
        [[ -r $SOURCES_FILE ]] && sha256sum <"$SOURCES_FILE" | cut -d' ' -f1
        while IFS= read -r cert; do
            [[ -n $cert ]] && printf '%s %s\n' "${cert##*/}" "$(sha256sum <"$cert" | cut -d' ' -f1)"
        done < <(ca_certificates)
    } | sha256sum | cut -c1-12
}

build() {
    local rootfs="$1" t cert
    t=$SECONDS
    say "debootstrap --variant=minbase $SUITE from $MIRROR, with: $(packages)"
    if ! debootstrap --variant=minbase --include="$(packages)" "$SUITE" "$rootfs" "$MIRROR" \
        >"$rootfs.log" 2>&1; then
        tail -n 30 "$rootfs.log" >&2 || true
        die "debootstrap failed (log above)"
    fi
    say "debootstrap took $(took "$t")"

    t=$SECONDS
    # The host's apt sources (its mirror, bookworm-updates and -security) replace debootstrap's
    # one-line sources.list.
    if [[ -r $SOURCES_FILE ]]; then
        install -m 0644 "$SOURCES_FILE" "$rootfs/etc/apt/sources.list.d/debian.sources"
        rm -f "$rootfs/etc/apt/sources.list"
    fi
    # The host's extra CA certificates, trusted inside too (outbound TLS may be intercepted).
    while IFS= read -r cert; do
        [[ -n $cert ]] || continue
        say "adding CA certificate ${cert##*/}"
        install -m 0644 "$cert" "$rootfs/usr/local/share/ca-certificates/${cert##*/}"
    done < <(ca_certificates)
    chroot "$rootfs" update-ca-certificates >/dev/null 2>&1 || die "update-ca-certificates failed"
    chroot "$rootfs" apt-get clean
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/log/*.log \
        "$rootfs"/var/log/apt/* "$rootfs"/tmp/* "$rootfs"/var/tmp/*
    # Dated 1970: an apt task with cache_valid_time must update the (empty) package index.
    touch -d @0 "$rootfs/var/lib/apt/lists"
    # Empty: systemd makes a machine id for each container when it boots.
    : >"$rootfs/etc/machine-id"
    if [[ $FLAVOUR == systemd ]]; then
        rm -f "$rootfs/var/lib/dbus/machine-id"
        ln -s /etc/machine-id "$rootfs/var/lib/dbus/machine-id"
    else
        slim_down "$rootfs"
    fi
    # podman provides /dev; debootstrap's device nodes need not go into the image.
    unmount_under "$rootfs"
    find "$rootfs/dev" -mindepth 1 -delete
    say "configuring took $(took "$t")"

    t=$SECONDS
    local changes=(--change 'CMD ["bash"]')
    if [[ $FLAVOUR == systemd ]]; then
        changes=(--change 'CMD ["/sbin/init"]' --change 'STOPSIGNAL SIGRTMIN+3')
    fi
    tar --numeric-owner --xattrs --xattrs-include='*' -C "$rootfs" -c . |
        podman import --quiet "${changes[@]}" \
            --message "scripts/debian-image.sh $FLAVOUR, inputs $HASH" \
            - "$IMAGE" >/dev/null
    say "podman import took $(took "$t")"
}

# What Debian's official slim images leave out, here and in every package installed later (dpkg
# skips these paths): documentation but the copyright files, manual pages, info, translations.
# A container has no reader for them.
slim_down() {
    local rootfs="$1"
    cat >"$rootfs/etc/dpkg/dpkg.cfg.d/quire-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
    find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
    find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
    rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/groff/* "$rootfs"/usr/share/info/* \
        "$rootfs"/usr/share/lintian/*
    find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias \
        -exec rm -rf {} +
}

# Unmounts whatever is still mounted under DIR (debootstrap mounts /proc and /sys in the
# chroot and unmounts them, unless it was interrupted): never delete through a mount.
unmount_under() {
    local dir="$1" mnt
    while IFS= read -r mnt; do
        umount -l "$mnt" || die "cannot unmount $mnt"
    done < <(awk -v d="$dir/" 'index($2 "/", d) == 1 { print $2 }' /proc/mounts | LC_ALL=C sort -r)
}

cleanup() {
    local work="$1"
    [[ -d $work ]] || return 0
    unmount_under "$work"
    rm -rf -- "$work"
}

# Keeps the KEEP most recently used tars (other checkouts may use other inputs).
prune_cache() {
    local keep=3 old
    while IFS= read -r old; do
        rm -f -- "$old"
    done < <(find "$CACHE_DIR" -maxdepth 1 -name "quire-debian12-$FLAVOUR-*.tar" -printf '%T@ %p\n' |
        sort -rn | tail -n +$((keep + 1)) | cut -d' ' -f2-)
}

save_to_cache() {
    local t=$SECONDS
    install -d -m 0755 "$CACHE_DIR"
    rm -f "$TAR.tmp"
    podman save --quiet -o "$TAR.tmp" "$IMAGE" >/dev/null
    mv -f "$TAR.tmp" "$TAR"
    say "saved to $TAR ($(du -h "$TAR" | cut -f1)) in $(took "$t")"
    prune_cache
}

main() {
    FLAVOUR="${1:-}"
    [[ $# -eq 1 && $FLAVOUR =~ ^(systemd|slim)$ ]] || die "usage: ${0##*/} systemd|slim"
    PACKAGES_FILE="$REPO_ROOT/scripts/debian-image-$FLAVOUR-packages.txt"
    need podman sha256sum
    MIRROR="$(mirror)"
    [[ -n $MIRROR ]] || die "no mirror found in $SOURCES_FILE: set QUIRE_IMAGE_MIRROR"
    HASH="$(inputs_hash)"
    IMAGE="localhost/quire-debian12-$FLAVOUR:$HASH"
    TAR="$CACHE_DIR/quire-debian12-$FLAVOUR-$HASH.tar"

    # One build of a flavour at a time (another job may want the same image); the other
    # flavour's need not wait for it.
    install -d -m 0755 "$CACHE_DIR"
    exec 9>"$CACHE_DIR/debian-image-$FLAVOUR.lock"
    flock 9

    if podman image exists "$IMAGE"; then
        say "$IMAGE is in the podman store ($(took "$T0"))"
    elif [[ -s $TAR ]] && podman load -q -i "$TAR" >/dev/null && podman image exists "$IMAGE"; then
        touch "$TAR"
        say "$IMAGE loaded from $TAR ($(took "$T0"))"
    else
        [[ $EUID -eq 0 ]] || die "building the image needs root (debootstrap, chroot)"
        need debootstrap chroot tar
        local work
        work="$(mktemp -d "$WORK_DIR/quire-image.XXXXXX")"
        # shellcheck disable=SC2064
        trap "cleanup '$work'" EXIT
        say "building $IMAGE (inputs changed or never built here)"
        build "$work/rootfs"
        save_to_cache
        cleanup "$work"
        trap - EXIT
        say "$IMAGE built in $(took "$T0")"
    fi
    printf '%s\n' "$IMAGE"
}

main "$@"
