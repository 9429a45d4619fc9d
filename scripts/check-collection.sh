#!/usr/bin/env bash
# The collection as an operator gets it: `ansible-galaxy collection build` must hold the roles,
# the playbooks, the example inventories and meta/runtime.yml, and nothing of the Python
# sources, tests, benchmarks, molecule scenarios or container image; installed with
# `ansible-galaxy collection install`, its playbooks must resolve by their names
# (quire.dms.site, ...) on the example inventories. (--no-deps: the ansible package has the
# dependencies, and this runs offline.) Run by `make lint`.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$BIN/ansible-galaxy" collection build --output-path "$work" >/dev/null
artifact=$(echo "$work"/quire-dms-*.tar.gz)

expected="CHANGELOG.md FILES.json MANIFEST.json README.md inventories meta playbooks roles"
found=$(tar -tzf "$artifact" | cut -d/ -f1 | sort -u | tr '\n' ' ' | sed 's/ $//')
if [ "$found" != "$expected" ]; then
    echo "collection: top level is '$found', expected '$expected'" >&2
    exit 1
fi
for role in roles/*/; do
    tar -tzf "$artifact" "${role}meta/argument_specs.yml" >/dev/null
done

"$BIN/ansible-galaxy" collection install --offline --no-deps -p "$work/collections" "$artifact" >/dev/null 2>&1
for inventory in inventories/*/; do
    for playbook in site upgrade backup restore; do
        ANSIBLE_COLLECTIONS_PATH="$work/collections" ANSIBLE_HOST_PATTERN_MISMATCH=ignore \
            "$BIN/ansible-playbook" \
            -i "$inventory" --syntax-check "quire.dms.$playbook" \
            -e quire_backup_dir=/nonexistent >/dev/null
    done
done
echo "collection: $(basename "$artifact") holds $(tar -tzf "$artifact" | grep -c '^roles/[^/]*/$' || true) roles; its playbooks resolve when installed"
