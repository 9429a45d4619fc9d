#!/usr/bin/env bash
# The roles refuse bad settings with a message that says what is wrong, before they touch a
# host: each case runs scripts/role-input/refused.yml on localhost in check mode and must fail
# with its message. Run by `make lint`.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
inventory=$(mktemp --suffix=.yml)
trap 'rm -f "$inventory"' EXIT
# localhost is a web host and a load balancer, as in the all-in-one inventory.
printf 'quire_web:\n  hosts:\n    localhost:\nquire_lb:\n  hosts:\n    localhost:\n' >"$inventory"

refused() {
    local expected=$1 role=$2
    shift 2
    local output
    if output=$(ANSIBLE_COLLECTIONS_PATH=$PWD ANSIBLE_HOST_PATTERN_MISMATCH=ignore \
        ANSIBLE_LOCALHOST_WARNING=false "$BIN/ansible-playbook" --check -i "$inventory" \
        scripts/role-input/refused.yml -e ansible_python_interpreter=/usr/bin/python3 \
        -e "refused_role=$role" "$@" 2>&1); then
        echo "role input: $role accepted $*" >&2
        exit 1
    fi
    if ! grep -qF -- "$expected" <<<"$output"; then
        echo "role input: $role refused $* without saying '$expected':" >&2
        echo "$output" | tail -20 >&2
        exit 1
    fi
}

refused "loadbalancer_tls_certificate and loadbalancer_tls_certificate_key go together" \
    quire.dms.loadbalancer -e loadbalancer_tls_certificate=/tmp/quire.crt
refused "solr_listen_address must be 127.0.0.1 or one address of the host" quire.dms.solr \
    -e solr_install_from=maven -e solr_listen_address=0.0.0.0
refused "solr_install_from must be one of: archive, maven, got: ftp" quire.dms.solr \
    -e solr_install_from=ftp
refused "quire.dms.notify needs quire_redis_url" quire.dms.notify
echo "role input: 4 bad settings refused, each saying why"
