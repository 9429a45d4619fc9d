#!/usr/bin/env bash
# What OCR needs, before `make run` serves: the Debian packages in scripts/ocr-packages.txt.
#
# Installs the missing ones with apt-get when run as root; otherwise stops with one sentence
# saying which command to run. Nothing to do (exit 0) when they are all installed, or when
# QUIRE__OCR__AUTOMATIC (or PAPERMERGE__OCR__AUTOMATIC) is false: then nothing is OCR'd.
# No sudo: `make run` should not ask for a password on its own.
set -euo pipefail

SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
PACKAGES_FILE="$SCRIPTS_DIR/ocr-packages.txt"
PROGRAMS=(tesseract gs)

say() { printf 'ocr-packages: %s\n' "$*" >&2; }

ocr_is_off() {
    local value="${QUIRE__OCR__AUTOMATIC:-${PAPERMERGE__OCR__AUTOMATIC:-true}}"
    [[ ${value,,} =~ ^(false|0|no|off)$ ]]
}

# Listed packages dpkg does not know as installed; without dpkg, all of them if a program is
# missing (a machine that is not Debian: the sentence below still says what is needed).
missing_packages() {
    if ! command -v dpkg-query >/dev/null 2>&1; then
        missing_programs | grep -q . &&
            awk '{ sub(/#.*/, ""); gsub(/[[:space:]]+/, "") } length($0)' "$PACKAGES_FILE"
        return 0
    fi
    "$SCRIPTS_DIR/apt-packages.sh" --missing "$PACKAGES_FILE"
}

missing_programs() {
    local program
    for program in "${PROGRAMS[@]}"; do
        command -v "$program" >/dev/null 2>&1 || printf '%s\n' "$program"
    done
}

main() {
    ocr_is_off && return 0
    local todo
    mapfile -t todo < <(missing_packages)
    ((${#todo[@]} == 0)) && return 0
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        "$SCRIPTS_DIR/apt-packages.sh" "$PACKAGES_FILE"
        local still
        still="$(missing_programs | tr '\n' ' ')"
        [[ -z $still ]] || { say "still missing after installing: $still"; exit 1; }
        return 0
    fi
    if command -v apt-get >/dev/null 2>&1; then
        say "OCR needs ${todo[*]}: install them with \`sudo apt-get install -y --no-install-recommends ${todo[*]}\` (or run this as root), or set QUIRE__OCR__AUTOMATIC=false to serve without OCR."
    else
        say "OCR needs Tesseract (with its eng and deu languages) and Ghostscript, which are not installed: install them with your system's package manager, or set QUIRE__OCR__AUTOMATIC=false to serve without OCR."
    fi
    exit 1
}

main "$@"
