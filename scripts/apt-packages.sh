#!/usr/bin/env bash
# Installs the Debian packages listed in package-list files that are not installed yet: the one
# way the project installs system packages (scripts/test-services.sh with system-packages.txt,
# scripts/ocr-packages.sh with ocr-packages.txt, `make molecule` with molecule-packages.txt).
#
# Usage:
#   scripts/apt-packages.sh LIST...            install what is missing (as root, else with sudo)
#   scripts/apt-packages.sh --missing LIST...  only print the missing ones, one per line
#
# A list has one package per line; '#' starts a comment. Only what is not installed yet is
# installed ("apt-get install" of an installed package would upgrade it), without recommends;
# when apt-get fails (an old package index) it runs "apt-get update" and tries once more.
# Progress goes to stderr.
set -euo pipefail

say() { printf 'apt-packages: %s\n' "$*" >&2; }
die() {
    say "ERROR: $*"
    exit 1
}

# The packages listed in the files, in order, each once.
listed() {
    local file
    for file in "$@"; do
        [[ -r $file ]] || die "package list $file not found"
    done
    awk '{ sub(/#.*/, ""); gsub(/[[:space:]]+/, "") } length($0) && !seen[$0]++' "$@"
}

missing() {
    local pkg
    while IFS= read -r pkg; do
        if [[ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)" != installed ]]; then
            printf '%s\n' "$pkg"
        fi
    done < <(listed "$@")
}

apt_get() {
    if [[ $EUID -eq 0 ]]; then
        env DEBIAN_FRONTEND=noninteractive apt-get "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo env DEBIAN_FRONTEND=noninteractive apt-get "$@"
    else
        die "cannot install packages: not root and sudo is not available"
    fi
}

main() {
    local only_print=false
    if [[ ${1:-} == --missing ]]; then
        only_print=true
        shift
    fi
    (($# > 0)) || die "usage: ${0##*/} [--missing] LIST..."
    command -v dpkg-query >/dev/null 2>&1 || die "dpkg-query not found: this needs Debian or Ubuntu"
    local todo
    todo="$(missing "$@")"
    if $only_print; then
        [[ -z $todo ]] || printf '%s\n' "$todo"
        return 0
    fi
    [[ -n $todo ]] || return 0
    local pkgs
    mapfile -t pkgs <<<"$todo"
    say "installing Debian packages: ${pkgs[*]}"
    if ! apt_get install -y --no-install-recommends "${pkgs[@]}" >&2; then
        say "apt-get install failed; running apt-get update and retrying"
        apt_get update >&2 || die "apt-get update failed"
        apt_get install -y --no-install-recommends "${pkgs[@]}" >&2 || die "apt-get install failed"
    fi
    todo="$(missing "$@")"
    [[ -z $todo ]] || die "still not installed: $(printf '%s' "$todo" | tr '\n' ' ')"
}

main "$@"
