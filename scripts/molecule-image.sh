#!/usr/bin/env bash
# The molecule scenarios' base image, localhost/quire-debian12-systemd:<hash>: built, loaded or
# found by scripts/debian-image.sh (which see), which builds the container image's base too.
#   export QUIRE_MOLECULE_IMAGE="$(scripts/molecule-image.sh)"
exec "$(dirname "${BASH_SOURCE[0]}")/debian-image.sh" systemd "$@"
