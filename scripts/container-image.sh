#!/usr/bin/env bash
# Builds Quire's container image from the Containerfile, with podman (or docker), on a machine
# that may reach no container registry.
#
# Usage:
#   scripts/container-image.sh IMAGE       # e.g. quire:0.1.0; prints IMAGE on stdout at the end
#
# The base: $BASE_IMAGE when set (e.g. docker.io/library/debian:bookworm-slim, pulled as usual);
# else a Debian 12 bootstrapped from the host's mirror by scripts/debian-image.sh slim (cached:
# built once, ~1-5 min). Then podman builds the Containerfile (`--format docker`: the OCI format
# has no HEALTHCHECK), reusing its cached layers: a change to the code rebuilds the last layers
# only (~1 min), a change to pyproject.toml fetches the wheels again.
#
# Environment:
#   BASE_IMAGE        the base image (default: built here, as above)
#   CONTAINER_ENGINE  podman (default when installed) or docker; with docker and no BASE_IMAGE,
#                     the base built by podman is copied into docker's store
#   OCR_LANGUAGES     Tesseract's languages (default: the Containerfile's, "eng deu")
#   QUIRE_IMAGE_BUILD_LOG  the build's output (default dist/container-image.log; its end is
#                     printed when the build fails)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
LOG="${QUIRE_IMAGE_BUILD_LOG:-$REPO_ROOT/dist/container-image.log}"
T0=$SECONDS

say() { printf 'container-image: %s\n' "$*" >&2; }
die() {
    say "ERROR: $*"
    exit 1
}

engine() {
    if [[ -n ${CONTAINER_ENGINE:-} ]]; then
        printf '%s\n' "$CONTAINER_ENGINE"
    elif command -v podman >/dev/null 2>&1; then
        echo podman
    else
        echo docker
    fi
}

main() {
    (($# == 1)) || die "usage: ${0##*/} IMAGE"
    local image="$1" engine base t
    engine="$(engine)"
    command -v "$engine" >/dev/null 2>&1 || die "$engine not found"
    base="${BASE_IMAGE:-}"
    if [[ -z $base ]]; then
        base="$("$REPO_ROOT/scripts/debian-image.sh" slim)"
        if [[ $engine != podman ]] && ! "$engine" image inspect "$base" >/dev/null 2>&1; then
            say "copying $base from podman's store to $engine's"
            podman save "$base" | "$engine" load >&2
        fi
    fi
    local args=(build --file "$REPO_ROOT/Containerfile" --tag "$image" --build-arg "BASE_IMAGE=$base")
    [[ $engine == podman ]] && args+=(--format docker)
    [[ -n ${OCR_LANGUAGES:-} ]] && args+=(--build-arg "OCR_LANGUAGES=$OCR_LANGUAGES")
    t=$SECONDS
    install -d "$(dirname "$LOG")"
    say "$engine ${args[*]} $REPO_ROOT (output in $LOG)"
    if ! "$engine" "${args[@]}" "$REPO_ROOT" >"$LOG" 2>&1; then
        tail -n 40 "$LOG" >&2
        die "the build failed (the end of $LOG above)"
    fi
    say "$image built on $base in $((SECONDS - t)) s ($((SECONDS - T0)) s in all): $(size "$engine" "$image")"
    printf '%s\n' "$image"
}

size() {
    local bytes
    bytes="$("$1" image inspect --format '{{.Size}}' "$2")"
    printf '%s MB' "$((bytes / 1000000))"
}

main "$@"
