#!/usr/bin/env bash
# Private, throwaway PostgreSQL 15 / MariaDB / Redis / Apache Solr 9 (SolrCloud) / S3 (S3Proxy)
# servers for the test suite.
#
# Usage:
#   scripts/test-services.sh start   # init (first time) + start, print exports
#   scripts/test-services.sh stop    # stop all five, keep the data
#   scripts/test-services.sh env     # print the export lines only
#   scripts/test-services.sh clean   # stop, then delete the state dir
#
#   eval "$(scripts/test-services.sh start)"
#
# The servers listen on 127.0.0.1 only, keep all their files in the state dir
# (${QUIRE_TEST_SERVICES_DIR:-<repo>/.test-services}) and never use or touch the
# system's own clusters, configs (/etc/mysql, /etc/postgresql) or data dirs.
# Progress messages go to stderr; stdout carries only the export lines.
#
# Solr comes from Maven Central (scripts/solr/pom.xml: solr-core, solrj, solr-test-framework
# 9.10.1, cached in ~/.m2); scripts/solr/QuireTestSolr.java, compiled into the state dir,
# runs an embedded ZooKeeper and the Solr node(s) in one JVM.
#
# The S3 server is S3Proxy, also from Maven Central (scripts/s3proxy/pom.xml: org.gaul:s3proxy
# 2.6.0, cached in ~/.m2), with its "filesystem-nio2" blob store: buckets are directories and
# objects files under the state dir. It checks AWS V2/V4 signatures against one fixed key pair
# (QUIRE_TEST_S3_ACCESS_KEY / QUIRE_TEST_S3_SECRET_KEY below); clients must use path-style
# addressing. Tests create their own buckets (names of at least 3 characters).
#
# Environment:
#   QUIRE_TEST_SERVICES_DIR      state dir            (default <repo>/.test-services)
#   QUIRE_TEST_PG_PORT           PostgreSQL TCP port  (default 55432)
#   QUIRE_TEST_MARIADB_PORT      MariaDB TCP port     (default 53306)
#   QUIRE_TEST_REDIS_PORT        Redis TCP port       (default 56379)
#   QUIRE_TEST_SOLR_PORT         Solr HTTP port       (default 58983; node i of N uses port+i-1)
#   QUIRE_TEST_SOLR_NODES        Solr nodes in the SolrCloud cluster (default 1)
#   QUIRE_TEST_SOLR_HEAP         Solr's JVM heap, -Xmx (default 512m)
#   QUIRE_TEST_S3_PORT           S3Proxy HTTP port    (default 59000)
#   QUIRE_TEST_PG_BINDIR         PostgreSQL binaries  (default /usr/lib/postgresql/15/bin)
#   QUIRE_TEST_SERVICES_TIMEOUT  seconds to wait for a server to answer (default 60)
#   QUIRE_TEST_SOLR_TIMEOUT      seconds to wait for Solr (default 120; it boots in 5-30 s)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
PACKAGES_FILE="$REPO_ROOT/scripts/system-packages.txt"

STATE_DIR="${QUIRE_TEST_SERVICES_DIR:-$REPO_ROOT/.test-services}"
[[ $STATE_DIR == /* ]] || STATE_DIR="$PWD/$STATE_DIR"
STATE_DIR="${STATE_DIR%/}"
PG_PORT="${QUIRE_TEST_PG_PORT:-55432}"
MARIADB_PORT="${QUIRE_TEST_MARIADB_PORT:-53306}"
REDIS_PORT="${QUIRE_TEST_REDIS_PORT:-56379}"
SOLR_PORT="${QUIRE_TEST_SOLR_PORT:-58983}"
SOLR_NODES="${QUIRE_TEST_SOLR_NODES:-1}"
SOLR_HEAP="${QUIRE_TEST_SOLR_HEAP:-512m}"
SOLR_TIMEOUT="${QUIRE_TEST_SOLR_TIMEOUT:-120}"
SOLR_SRC_DIR="$REPO_ROOT/scripts/solr"
S3_PORT="${QUIRE_TEST_S3_PORT:-59000}"
S3_SRC_DIR="$REPO_ROOT/scripts/s3proxy"
PG_BINDIR="${QUIRE_TEST_PG_BINDIR:-/usr/lib/postgresql/15/bin}"
TIMEOUT="${QUIRE_TEST_SERVICES_TIMEOUT:-60}"

DB_USER=quire
DB_PASSWORD=quire
DB_NAME=quire_test
S3_ACCESS_KEY=quire-test
S3_SECRET_KEY=quire-test-secret

# Marks a directory as ours, so `clean` never deletes anything else.
MARKER=".quire-test-services"

log() { printf 'test-services: %s\n' "$*" >&2; }
die() {
    log "ERROR: $*"
    exit 1
}

usage() {
    cat >&2 <<EOF
Usage: ${0##*/} {start|stop|env|clean}
  start  initialise (first run) and start private PostgreSQL, MariaDB, Redis,
         Solr (SolrCloud) and S3 (S3Proxy) servers on 127.0.0.1, then print shell
         export lines
  stop   stop the servers, keeping their data
  env    print the export lines only
  clean  stop the servers and delete the state dir ($STATE_DIR)
EOF
}

check_config() {
    local name value
    for name in PG_PORT MARIADB_PORT REDIS_PORT SOLR_PORT S3_PORT; do
        value="${!name}"
        if [[ ! $value =~ ^[1-9][0-9]{0,4}$ ]] || ((value > 65535)); then
            die "invalid port in QUIRE_TEST_${name}: '$value'"
        fi
    done
    [[ "$(printf '%s\n' "$PG_PORT" "$MARIADB_PORT" "$REDIS_PORT" "$S3_PORT" | sort -u | wc -l)" -eq 4 ]] ||
        die "the PostgreSQL, MariaDB, Redis and S3 ports must differ ($PG_PORT, $MARIADB_PORT, $REDIS_PORT, $S3_PORT)"
    [[ $SOLR_NODES =~ ^[1-9]$ ]] || die "invalid QUIRE_TEST_SOLR_NODES (1-9): '$SOLR_NODES'"
    ((SOLR_PORT + SOLR_NODES - 1 <= 65535)) || die "QUIRE_TEST_SOLR_PORT too high for $SOLR_NODES nodes"
    for value in "$PG_PORT" "$MARIADB_PORT" "$REDIS_PORT" "$S3_PORT"; do
        if ((value >= SOLR_PORT && value < SOLR_PORT + SOLR_NODES)); then
            die "the Solr port(s) $SOLR_PORT..$((SOLR_PORT + SOLR_NODES - 1)) include port $value of another server"
        fi
    done
    [[ $SOLR_HEAP =~ ^[1-9][0-9]*[mMgG]$ ]] || die "invalid QUIRE_TEST_SOLR_HEAP (e.g. 512m): '$SOLR_HEAP'"
    [[ $TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "invalid QUIRE_TEST_SERVICES_TIMEOUT: '$TIMEOUT'"
    [[ $SOLR_TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "invalid QUIRE_TEST_SOLR_TIMEOUT: '$SOLR_TIMEOUT'"
    local p
    [[ -n $STATE_DIR && $STATE_DIR != "$REPO_ROOT" && $STATE_DIR != "${HOME:-/nonexistent}" ]] ||
        die "refusing to use '$STATE_DIR' as the state dir"
    for p in /bin /boot /dev /etc /lib /lib64 /proc /sbin /sys /usr /var/lib/postgresql \
        /var/lib/mysql /var/log /run/mysqld /run/postgresql; do
        if [[ $STATE_DIR == "$p" || $STATE_DIR == "$p"/* ]]; then
            die "refusing to use '$STATE_DIR' as the state dir (system location $p)"
        fi
    done
}

print_env() {
    printf 'export QUIRE_TEST_POSTGRES_URL=postgresql+psycopg://%s:%s@127.0.0.1:%s/%s\n' \
        "$DB_USER" "$DB_PASSWORD" "$PG_PORT" "$DB_NAME"
    printf 'export QUIRE_TEST_MARIADB_URL=mysql+pymysql://%s:%s@127.0.0.1:%s/%s\n' \
        "$DB_USER" "$DB_PASSWORD" "$MARIADB_PORT" "$DB_NAME"
    printf 'export QUIRE_TEST_REDIS_URL=redis://127.0.0.1:%s/0\n' "$REDIS_PORT"
    printf 'export QUIRE_TEST_SOLR_URL=http://127.0.0.1:%s/solr\n' "$SOLR_PORT"
    printf 'export QUIRE_TEST_S3_ENDPOINT=http://127.0.0.1:%s\n' "$S3_PORT"
    printf 'export QUIRE_TEST_S3_ACCESS_KEY=%s\n' "$S3_ACCESS_KEY"
    printf 'export QUIRE_TEST_S3_SECRET_KEY=%s\n' "$S3_SECRET_KEY"
}

# ---------------------------------------------------------------- helpers --

is_root() { [[ $EUID -eq 0 ]]; }

# Run a command as a service's system user (when root), from / so that a
# cwd the user cannot read does not produce warnings.
as_user() {
    local user="$1"
    shift
    if is_root && [[ $user != root ]]; then
        (cd / && runuser -u "$user" -- "$@")
    else
        (cd / && "$@")
    fi
}

# mkdir_for USER MODE DIR: create DIR (if needed) owned by USER with MODE.
mkdir_for() {
    local user="$1" mode="$2" dir="$3"
    if is_root; then
        install -d -m "$mode" -o "$user" -g "$(id -gn "$user")" "$dir"
    else
        install -d -m "$mode" "$dir"
    fi
}

# touch_for USER FILE: create FILE (if needed) owned by USER.
touch_for() {
    local user="$1" file="$2"
    [[ -e $file ]] || : >"$file"
    if is_root; then chown "$user:$(id -gn "$user")" "$file"; fi
}

find_bin() {
    local name="$1" dir
    if command -v "$name" >/dev/null 2>&1; then
        command -v "$name"
        return 0
    fi
    for dir in /usr/sbin /usr/bin /sbin /bin /usr/local/sbin /usr/local/bin; do
        if [[ -x $dir/$name ]]; then
            printf '%s\n' "$dir/$name"
            return 0
        fi
    done
    return 1
}

# pid_alive PID: process exists and is not a zombie (works for other users'
# processes too, unlike kill -0).
pid_alive() {
    local pid="$1" stat
    [[ $pid =~ ^[1-9][0-9]*$ ]] || return 1
    stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }"
    [[ ${stat%% *} != Z ]]
}

# pid_is PID COMM: PID is alive and runs the program COMM (guards against
# stale pid files whose pid has been reused by something else).
pid_is() {
    pid_alive "$1" && [[ "$(cat "/proc/$1/comm" 2>/dev/null)" == "$2" ]]
}

read_pidfile() {
    local pid=""
    if [[ -r $1 ]]; then
        read -r pid <"$1" 2>/dev/null || true
    fi
    printf '%s\n' "$pid"
}

port_in_use() {
    # shellcheck disable=SC2016 # $1 is expanded by the inner bash
    timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null
}

wait_pid_gone() {
    local pid="$1" deadline=$((SECONDS + $2))
    while pid_alive "$pid"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.1
    done
}

# wait_proc_gone PID COMM SECONDS: wait until PID, if it is (or was) COMM,
# has vanished entirely, zombies included (a crashed server not reaped yet).
wait_proc_gone() {
    local pid="$1" comm="$2" deadline=$((SECONDS + $3))
    [[ $pid =~ ^[1-9][0-9]*$ ]] || return 0
    while [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$comm" ]]; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

show_log_tail() {
    local logfile="$1"
    if [[ -r $logfile ]]; then
        log "last lines of $logfile:"
        tail -n 30 "$logfile" | sed 's/^/    /' >&2
    else
        log "(no log file at $logfile)"
    fi
}

fail_with_log() {
    local logfile="$1"
    shift
    log "ERROR: $*"
    show_log_tail "$logfile"
    exit 1
}

# wait_ready LABEL LOGFILE PID -- PROBE...: poll PROBE until it succeeds; fail
# (with the log tail) on timeout or when PID (if given) has died.
wait_ready() {
    local label="$1" logfile="$2" pid="$3"
    shift 4
    local deadline=$((SECONDS + TIMEOUT))
    while true; do
        if "$@" >/dev/null 2>&1; then
            return 0
        fi
        if [[ -n $pid ]] && ! pid_alive "$pid"; then
            fail_with_log "$logfile" "$label exited during startup"
        fi
        if ((SECONDS >= deadline)); then
            fail_with_log "$logfile" "$label did not accept connections within ${TIMEOUT}s"
        fi
        sleep 0.2
    done
}

ensure_free_port() {
    local label="$1" port="$2" var="$3"
    if port_in_use "$port"; then
        die "port $port on 127.0.0.1 (for $label) is already used by another process; set $var to a free port"
    fi
}

# --------------------------------------------------------------- packages --

PG_OS_USER=postgres
MARIADB_OS_USER=mysql
if ! is_root; then
    PG_OS_USER="$(id -un)"
    MARIADB_OS_USER="$(id -un)"
fi

missing_binaries() {
    local b
    for b in initdb pg_ctl postgres pg_isready psql; do
        [[ -x $PG_BINDIR/$b ]] || printf '%s\n' "$PG_BINDIR/$b"
    done
    for b in mariadbd mariadb-install-db mariadb mariadb-admin redis-server redis-cli runuser setsid flock timeout \
        java javac mvn curl; do
        find_bin "$b" >/dev/null || printf '%s\n' "$b"
    done
}

# The listed packages that are not installed yet (the tests need Tesseract's languages too, not
# only the servers' binaries), by scripts/apt-packages.sh, the one way the project installs
# Debian packages.
ensure_packages() {
    local missing
    "$REPO_ROOT/scripts/apt-packages.sh" "$PACKAGES_FILE" || die "installing $PACKAGES_FILE failed"
    missing="$(missing_binaries)"
    [[ -z $missing ]] || die "still missing after installing packages: $(printf '%s' "$missing" | tr '\n' ' ')"
}

# ------------------------------------------------------------ state dirs --

# The data may live outside the state dir (in /tmp) when the service users
# cannot traverse the state dir's path, when the path is too long for unix
# sockets or contains blanks/quotes (mariadb-install-db breaks on those); the
# location is recorded in $STATE_DIR/data-root.
DATA_ROOT=""

fallback_root() {
    printf '/tmp/quire-test-services-%s-%s\n' "$(id -u)" "$(printf '%s' "$STATE_DIR" | cksum | cut -d' ' -f1)"
}

set_paths() {
    PG_BASE="$DATA_ROOT/postgres"
    PG_DATA="$PG_BASE/data"
    PG_RUN="$PG_BASE/run"
    PG_LOG="$PG_BASE/postgres.log"

    MDB_BASE="$DATA_ROOT/mariadb"
    MDB_DATA="$MDB_BASE/data"
    MDB_RUN="$MDB_BASE/run"
    MDB_SOCK="$MDB_RUN/mariadbd.sock"
    MDB_PID="$MDB_RUN/mariadbd.pid"
    MDB_LOG="$MDB_BASE/mariadb.log"

    REDIS_BASE="$DATA_ROOT/redis"
    REDIS_PID="$REDIS_BASE/redis.pid"
    REDIS_LOG="$REDIS_BASE/redis.log"

    SOLR_BASE="$DATA_ROOT/solr"
    SOLR_DATA="$SOLR_BASE/data"
    SOLR_PID="$SOLR_BASE/solr.pid"
    SOLR_LOG="$SOLR_BASE/solr.log"
    SOLR_BUILD_LOG="$SOLR_BASE/build.log"
    SOLR_CLASSPATH="$SOLR_BASE/classpath"
    SOLR_CLASSES="$SOLR_BASE/classes"

    S3_BASE="$DATA_ROOT/s3proxy"
    S3_DATA="$S3_BASE/data"
    S3_PID="$S3_BASE/s3proxy.pid"
    S3_LOG="$S3_BASE/s3proxy.log"
    S3_BUILD_LOG="$S3_BASE/build.log"
    S3_CLASSPATH="$S3_BASE/classpath"
    S3_PROPERTIES="$S3_BASE/s3proxy.properties"
    S3_LOGBACK="$S3_BASE/logback.xml"
}

# For stop/clean: use the recorded data root (if any); never creates anything.
load_data_root() {
    DATA_ROOT="$STATE_DIR"
    if [[ -r $STATE_DIR/data-root ]]; then
        read -r DATA_ROOT <"$STATE_DIR/data-root" || DATA_ROOT="$STATE_DIR"
    fi
    set_paths
}

lock_state_dir() {
    exec 9>"$STATE_DIR/.lock"
    flock -w $((TIMEOUT * 4)) 9 || die "timed out waiting for the lock on $STATE_DIR (another test-services.sh running?)"
}

# For start: create the state dir and decide where the data goes.
prepare_state_dir() {
    if [[ -d $STATE_DIR && ! -e $STATE_DIR/$MARKER ]] && [[ -n "$(ls -A "$STATE_DIR")" ]]; then
        die "$STATE_DIR exists, is not empty and was not created by this script; refusing to use it"
    fi
    mkdir -p "$STATE_DIR"
    chmod 0755 "$STATE_DIR"
    : >"$STATE_DIR/$MARKER"
    lock_state_dir

    local recorded="" reason="" user
    if [[ -r $STATE_DIR/data-root ]]; then
        read -r recorded <"$STATE_DIR/data-root" || recorded=""
    fi
    if [[ -n $recorded && -d $recorded ]]; then
        DATA_ROOT="$recorded"
    else
        # Longest socket path: <root>/mariadb/run/mariadbd.sock; limit is 107.
        if ((${#STATE_DIR} > 80)); then
            reason="its path is too long for unix sockets"
        elif [[ $STATE_DIR =~ [[:space:]\'\"\\] ]]; then
            reason="mariadb-install-db cannot handle blanks or quotes in paths"
        elif is_root; then
            for user in "$PG_OS_USER" "$MARIADB_OS_USER"; do
                if ! runuser -u "$user" -- test -x "$STATE_DIR" 2>/dev/null; then
                    reason="user '$user' cannot traverse its path"
                    break
                fi
            done
        fi
        if [[ -z $reason ]]; then
            DATA_ROOT="$STATE_DIR"
        else
            DATA_ROOT="$(fallback_root)"
            log "keeping server data in $DATA_ROOT instead of $STATE_DIR: $reason"
            if [[ -L $DATA_ROOT ]] || { [[ -e $DATA_ROOT ]] && [[ ! -O $DATA_ROOT ]]; }; then
                die "$DATA_ROOT exists and is not a directory owned by $(id -un)"
            fi
            install -d -m 0755 "$DATA_ROOT"
            : >"$DATA_ROOT/$MARKER"
        fi
        printf '%s\n' "$DATA_ROOT" >"$STATE_DIR/data-root"
    fi
    set_paths
}

# ------------------------------------------------------------- PostgreSQL --

pg_pid() {
    local pid
    pid="$(read_pidfile "$PG_DATA/postmaster.pid")"
    pid_is "$pid" postgres && printf '%s\n' "$pid"
}

# (-U: without it the server logs 'FATAL: role "root" does not exist')
pg_probe_socket() { "$PG_BINDIR/pg_isready" -q -h "$PG_RUN" -p "$PG_PORT" -U postgres -d postgres -t 2; }
pg_probe_tcp() { "$PG_BINDIR/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U "$DB_USER" -d "$DB_NAME" -t 2; }

pg_admin_psql() {
    as_user "$PG_OS_USER" "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 \
        -h "$PG_RUN" -p "$PG_PORT" -U postgres -d postgres "$@"
}

pg_write_conf() {
    local conf="$PG_DATA/quire-test-services.conf"
    {
        printf '# Written by scripts/test-services.sh on every start; do not edit.\n'
        printf "listen_addresses = '127.0.0.1'\n"
        printf 'port = %s\n' "$PG_PORT"
        printf "unix_socket_directories = '%s'\n" "${PG_RUN//\'/\'\'}"
        printf 'unix_socket_permissions = 0700\n'
        printf 'max_connections = 200\n'
        printf 'fsync = off\n'
        printf 'synchronous_commit = off\n'
        printf 'full_page_writes = off\n'
        printf 'logging_collector = off\n'
    } >"$conf"
    touch_for "$PG_OS_USER" "$conf"
}

pg_init() {
    [[ -e $PG_BASE/initialized ]] && return 0
    log "PostgreSQL: creating cluster in $PG_DATA"
    mkdir_for "$PG_OS_USER" 0755 "$PG_BASE"
    rm -rf "$PG_DATA" # leftovers of an interrupted initdb
    mkdir_for "$PG_OS_USER" 0700 "$PG_DATA"
    touch_for "$PG_OS_USER" "$PG_LOG"
    as_user "$PG_OS_USER" "$PG_BINDIR/initdb" -D "$PG_DATA" -U postgres \
        --auth-local=trust --auth-host=scram-sha-256 \
        --encoding=UTF8 --locale=C.UTF-8 --no-sync --no-instructions >>"$PG_LOG" 2>&1 ||
        fail_with_log "$PG_LOG" "PostgreSQL initdb failed"
    printf "\ninclude_if_exists = 'quire-test-services.conf'\n" >>"$PG_DATA/postgresql.conf"
    touch "$PG_BASE/initialized"
}

pg_provision() {
    pg_admin_psql <<'SQL' || fail_with_log "$PG_LOG" "PostgreSQL: creating role/database failed"
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'quire') THEN
        CREATE ROLE quire LOGIN SUPERUSER PASSWORD 'quire';
    ELSE
        ALTER ROLE quire LOGIN SUPERUSER PASSWORD 'quire';
    END IF;
END
$$;
SQL
    if [[ "$(pg_admin_psql -tA -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" != 1 ]]; then
        pg_admin_psql -c "CREATE DATABASE $DB_NAME OWNER $DB_USER" ||
            fail_with_log "$PG_LOG" "PostgreSQL: CREATE DATABASE $DB_NAME failed"
    fi
}

# pg_ready PID: wait for the server, create role/db (once per server start),
# then check that it answers on TCP.
pg_ready() {
    wait_ready "PostgreSQL" "$PG_LOG" "$1" -- pg_probe_socket
    if [[ ! -e $PG_BASE/provisioned ]]; then
        pg_provision
        : >"$PG_BASE/provisioned"
    fi
    wait_ready "PostgreSQL (TCP)" "$PG_LOG" "$1" -- pg_probe_tcp
}

pg_stop() {
    local pid
    pid="$(pg_pid)" || return 0
    log "PostgreSQL: stopping (pid $pid)"
    if [[ -x $PG_BINDIR/pg_ctl ]]; then
        as_user "$PG_OS_USER" "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -m fast -w -t "$TIMEOUT" -s stop >&2 ||
            fail_with_log "$PG_LOG" "PostgreSQL: pg_ctl stop failed"
    else
        kill -INT "$pid"
        wait_pid_gone "$pid" "$TIMEOUT" || die "PostgreSQL (pid $pid) did not stop"
    fi
}

pg_start() {
    local pid
    mkdir_for "$PG_OS_USER" 0755 "$PG_BASE"
    if pid="$(pg_pid)"; then
        if [[ "$(cat "$PG_BASE/port" 2>/dev/null)" == "$PG_PORT" ]]; then
            pg_ready "$pid"
            log "PostgreSQL: already running (pid $pid, port $PG_PORT)"
            return 0
        fi
        log "PostgreSQL: running on another port; restarting on port $PG_PORT"
        pg_stop
    fi
    # A postmaster that died hard may linger as a zombie until its new parent
    # reaps it; meanwhile postgres would refuse to start ("lock file
    # postmaster.pid already exists"). Give the reaper a moment.
    pid="$(read_pidfile "$PG_DATA/postmaster.pid")"
    if [[ -n $pid ]] && ! wait_proc_gone "$pid" postgres 10; then
        log "PostgreSQL: stale postmaster pid $pid is still present in /proc; trying anyway"
    fi
    ensure_free_port PostgreSQL "$PG_PORT" QUIRE_TEST_PG_PORT
    pg_init
    mkdir_for "$PG_OS_USER" 0700 "$PG_RUN"
    touch_for "$PG_OS_USER" "$PG_LOG"
    pg_write_conf
    rm -f "$PG_BASE/provisioned"
    log "PostgreSQL: starting on 127.0.0.1:$PG_PORT"
    as_user "$PG_OS_USER" "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t "$TIMEOUT" -s start \
        </dev/null >&2 9>&- || fail_with_log "$PG_LOG" "PostgreSQL: pg_ctl start failed"
    printf '%s\n' "$PG_PORT" >"$PG_BASE/port"
    pg_ready "$(pg_pid || true)"
}

# ---------------------------------------------------------------- MariaDB --

MARIADBD="" MARIADB_INSTALL_DB="" MARIADB_CLI="" MARIADB_ADMIN=""
REDIS_SERVER="" REDIS_CLI=""
JAVA="" JAVAC="" MVN="" CURL=""

resolve_binaries() {
    MARIADBD="$(find_bin mariadbd || true)"
    MARIADB_INSTALL_DB="$(find_bin mariadb-install-db || true)"
    MARIADB_CLI="$(find_bin mariadb || true)"
    MARIADB_ADMIN="$(find_bin mariadb-admin || true)"
    REDIS_SERVER="$(find_bin redis-server || true)"
    REDIS_CLI="$(find_bin redis-cli || true)"
    JAVA="$(find_bin java || true)"
    JAVAC="$(find_bin javac || true)"
    MVN="$(find_bin mvn || true)"
    CURL="$(find_bin curl || true)"
}

# The MariaDB account that the local OS user gets via unix_socket auth.
mdb_admin_user() {
    if is_root; then printf 'root\n'; else id -un; fi
}

mdb_pid() {
    local pid
    pid="$(read_pidfile "$MDB_PID")"
    pid_is "$pid" mariadbd && printf '%s\n' "$pid"
}

mdb_probe_socket() {
    "$MARIADB_ADMIN" --no-defaults --protocol=socket --socket="$MDB_SOCK" \
        -u "$(mdb_admin_user)" --connect-timeout=2 ping
}

# Over TCP as the test user: root has no TCP account, and anonymous pings get
# "host not allowed" (reported as a TLS error by the 10.11 client) -> rc 1.
mdb_probe_tcp() {
    "$MARIADB_ADMIN" --no-defaults --protocol=tcp -h 127.0.0.1 -P "$MARIADB_PORT" \
        -u "$DB_USER" --password="$DB_PASSWORD" --connect-timeout=2 ping
}

mdb_admin_sql() {
    "$MARIADB_CLI" --no-defaults --protocol=socket --socket="$MDB_SOCK" -u "$(mdb_admin_user)" "$@"
}

mdb_init() {
    [[ -e $MDB_BASE/initialized ]] && return 0
    log "MariaDB: creating data dir $MDB_DATA"
    rm -rf "$MDB_DATA" # leftovers of an interrupted install
    mkdir_for "$MARIADB_OS_USER" 0750 "$MDB_DATA"
    local opts=(--no-defaults --datadir="$MDB_DATA" --skip-test-db --skip-name-resolve
        --auth-root-authentication-method=socket)
    if is_root; then
        opts+=(--user="$MARIADB_OS_USER")
    else
        opts+=(--auth-root-socket-user="$(id -un)")
    fi
    (cd / && "$MARIADB_INSTALL_DB" "${opts[@]}") </dev/null >>"$MDB_LOG" 2>&1 ||
        fail_with_log "$MDB_LOG" "mariadb-install-db failed"
    touch "$MDB_BASE/initialized"
}

mdb_provision() {
    mdb_admin_sql --batch <<SQL || fail_with_log "$MDB_LOG" "MariaDB: creating user/database failed"
CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
ALTER USER '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';
ALTER USER '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$DB_USER'@'127.0.0.1' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO '$DB_USER'@'localhost' WITH GRANT OPTION;
CREATE DATABASE IF NOT EXISTS $DB_NAME CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
SQL
}

# mdb_ready PID: wait for the server, create user/db (once per server start),
# then check that the test user can log in over TCP.
mdb_ready() {
    wait_ready "MariaDB" "$MDB_LOG" "$1" -- mdb_probe_socket
    if [[ ! -e $MDB_BASE/provisioned ]]; then
        mdb_provision
        : >"$MDB_BASE/provisioned"
    fi
    wait_ready "MariaDB (TCP)" "$MDB_LOG" "$1" -- mdb_probe_tcp
}

mdb_stop() {
    local pid
    pid="$(mdb_pid)" || return 0
    log "MariaDB: stopping (pid $pid)"
    if [[ -z $MARIADB_ADMIN ]] ||
        ! "$MARIADB_ADMIN" --no-defaults --protocol=socket --socket="$MDB_SOCK" \
            -u "$(mdb_admin_user)" --shutdown-timeout="$TIMEOUT" shutdown >/dev/null 2>&1; then
        log "MariaDB: mariadb-admin shutdown failed; sending SIGTERM"
        kill -TERM "$pid" 2>/dev/null || true
    fi
    wait_pid_gone "$pid" "$TIMEOUT" || fail_with_log "$MDB_LOG" "MariaDB (pid $pid) did not stop"
}

mdb_start() {
    local pid
    mkdir_for "$MARIADB_OS_USER" 0755 "$MDB_BASE"
    touch_for "$MARIADB_OS_USER" "$MDB_LOG"
    if pid="$(mdb_pid)"; then
        if [[ "$(cat "$MDB_BASE/port" 2>/dev/null)" == "$MARIADB_PORT" ]]; then
            mdb_ready "$pid"
            log "MariaDB: already running (pid $pid, port $MARIADB_PORT)"
            return 0
        fi
        log "MariaDB: running on another port; restarting on port $MARIADB_PORT"
        mdb_stop
    fi
    ensure_free_port MariaDB "$MARIADB_PORT" QUIRE_TEST_MARIADB_PORT
    mdb_init
    mkdir_for "$MARIADB_OS_USER" 0755 "$MDB_RUN"
    rm -f "$MDB_PID" "$MDB_SOCK" "$MDB_SOCK.lock" "$MDB_BASE/provisioned"
    local opts=(--no-defaults
        --datadir="$MDB_DATA"
        --socket="$MDB_SOCK"
        --port="$MARIADB_PORT"
        --bind-address=127.0.0.1
        --pid-file="$MDB_PID"
        --log-error="$MDB_LOG"
        --skip-name-resolve
        --innodb-flush-log-at-trx-commit=0
        --character-set-server=utf8mb4
        --collation-server=utf8mb4_unicode_ci
        --max-connections=200)
    if is_root; then opts+=(--user="$MARIADB_OS_USER"); fi
    log "MariaDB: starting on 127.0.0.1:$MARIADB_PORT"
    (cd / && exec setsid "$MARIADBD" "${opts[@]}" </dev/null >>"$MDB_LOG" 2>&1 9>&-) &
    pid=$!
    printf '%s\n' "$MARIADB_PORT" >"$MDB_BASE/port"
    mdb_ready "$pid"
}

# ------------------------------------------------------------------ Redis --

redis_pid() {
    local pid
    pid="$(read_pidfile "$REDIS_PID")"
    pid_is "$pid" redis-server && printf '%s\n' "$pid"
}

redis_probe() {
    [[ "$("$REDIS_CLI" -h 127.0.0.1 -p "$1" ping 2>/dev/null)" == PONG ]]
}

redis_stop() {
    local pid port
    pid="$(redis_pid)" || return 0
    port="$(cat "$REDIS_BASE/port" 2>/dev/null || printf '%s' "$REDIS_PORT")"
    log "Redis: stopping (pid $pid)"
    if [[ -z $REDIS_CLI ]] || ! "$REDIS_CLI" -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1; then
        kill -TERM "$pid" 2>/dev/null || true
    fi
    if ! wait_pid_gone "$pid" "$TIMEOUT"; then
        kill -TERM "$pid" 2>/dev/null || true
        wait_pid_gone "$pid" 5 || fail_with_log "$REDIS_LOG" "Redis (pid $pid) did not stop"
    fi
}

redis_start() {
    local pid
    install -d -m 0755 "$REDIS_BASE"
    if pid="$(redis_pid)"; then
        if [[ "$(cat "$REDIS_BASE/port" 2>/dev/null)" == "$REDIS_PORT" ]]; then
            wait_ready "Redis" "$REDIS_LOG" "$pid" -- redis_probe "$REDIS_PORT"
            log "Redis: already running (pid $pid, port $REDIS_PORT)"
            return 0
        fi
        log "Redis: running on another port; restarting on port $REDIS_PORT"
        redis_stop
    fi
    ensure_free_port Redis "$REDIS_PORT" QUIRE_TEST_REDIS_PORT
    rm -f "$REDIS_PID"
    log "Redis: starting on 127.0.0.1:$REDIS_PORT"
    # Early errors (before redis opens --logfile) go to stdout: keep them too.
    # shellcheck disable=SC2094
    (cd / && exec "$REDIS_SERVER" \
        --daemonize yes \
        --bind 127.0.0.1 \
        --port "$REDIS_PORT" \
        --protected-mode yes \
        --dir "$REDIS_BASE" \
        --pidfile "$REDIS_PID" \
        --logfile "$REDIS_LOG" \
        --save "" \
        --appendonly no) </dev/null >>"$REDIS_LOG" 2>&1 9>&- ||
        fail_with_log "$REDIS_LOG" "redis-server failed to start"
    printf '%s\n' "$REDIS_PORT" >"$REDIS_BASE/port"
    wait_ready "Redis" "$REDIS_LOG" "" -- redis_probe "$REDIS_PORT"
}

# ------------------------------------------------------------------ Maven --

# mvn_classpath LABEL POM CLASSPATH_FILE BUILD_LOG SIZE: resolve POM's classpath into
# CLASSPATH_FILE (one line, ':'-separated jars in ~/.m2) with Maven, offline first (after
# the first run ~/.m2 has it all), and only when the POM changed or a jar has gone.
mvn_classpath() {
    local label="$1" pom="$2" classpath="$3" build_log="$4" size="$5"
    local jar jars=() complete=false
    if [[ -s $classpath && $classpath -nt $pom ]]; then
        complete=true
        IFS=: read -r -a jars <"$classpath" || true # (no final newline: read returns 1)
        for jar in "${jars[@]}"; do
            [[ -f $jar ]] || complete=false
        done
    fi
    $complete && return 0
    log "$label: resolving the classpath with Maven (the first run downloads $size into ~/.m2)"
    local args=(-B -q -f "$pom" dependency:build-classpath -Dmdep.outputFile="$classpath.tmp")
    if ! (cd / && "$MVN" -o "${args[@]}") </dev/null >>"$build_log" 2>&1 9>&-; then
        log "$label: not everything is in ~/.m2 yet; resolving online"
        (cd / && "$MVN" "${args[@]}") </dev/null >>"$build_log" 2>&1 9>&- ||
            fail_with_log "$build_log" "$label: Maven could not resolve $pom"
    fi
    mv -f "$classpath.tmp" "$classpath"
}

# ------------------------------------------------------------------- Solr --

# The JVM's comm is only "java": check that it runs our launcher too.
solr_pid() {
    local pid
    pid="$(read_pidfile "$SOLR_PID")"
    pid_is "$pid" java || return 1
    [[ "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" == *" QuireTestSolr "* ]] || return 1
    printf '%s\n' "$pid"
}

# Ready: the launcher has written data/ready (every node up, every replica on them active),
# and each node passes its health check (which also needs its ZooKeeper session).
solr_probe() {
    local i
    [[ -e $SOLR_DATA/ready ]] || return 1
    for ((i = 0; i < SOLR_NODES; i++)); do
        "$CURL" -sf -m 5 -o /dev/null "http://127.0.0.1:$((SOLR_PORT + i))/solr/admin/info/health" || return 1
    done
}

# Resolve Solr's classpath and compile the launcher into the state dir, each only when
# its inputs changed.
solr_build() {
    local src="$SOLR_SRC_DIR/QuireTestSolr.java" class="$SOLR_CLASSES/QuireTestSolr.class"
    mvn_classpath Solr "$SOLR_SRC_DIR/pom.xml" "$SOLR_CLASSPATH" "$SOLR_BUILD_LOG" "~100 MB"
    if [[ ! -f $class || $src -nt $class || $SOLR_CLASSPATH -nt $class ]]; then
        log "Solr: compiling $src"
        rm -rf "$SOLR_CLASSES"
        install -d -m 0755 "$SOLR_CLASSES"
        "$JAVAC" -nowarn -cp "$(<"$SOLR_CLASSPATH")" -d "$SOLR_CLASSES" "$src" >>"$SOLR_BUILD_LOG" 2>&1 ||
            fail_with_log "$SOLR_BUILD_LOG" "Solr: javac failed"
    fi
}

# stop_java LABEL PID TIMEOUT LOG: TERM, then KILL if it has not gone within TIMEOUT seconds.
stop_java() {
    local label="$1" pid="$2" timeout="$3" log_file="$4"
    log "$label: stopping (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_pid_gone "$pid" "$timeout"; then
        log "$label: no clean shutdown within ${timeout}s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
        wait_pid_gone "$pid" 10 || fail_with_log "$log_file" "$label (pid $pid) did not stop"
    fi
}

solr_stop() {
    local pid
    pid="$(solr_pid)" || return 0
    stop_java Solr "$pid" "$SOLR_TIMEOUT" "$SOLR_LOG"
}

solr_start() {
    local pid i t0=$SECONDS recorded settings="$SOLR_PORT $SOLR_NODES"
    install -d -m 0755 "$SOLR_BASE"
    recorded="$(cat "$SOLR_BASE/port" 2>/dev/null || true)"
    if pid="$(solr_pid)"; then
        if [[ $recorded == "$settings" ]]; then
            TIMEOUT=$SOLR_TIMEOUT wait_ready "Solr" "$SOLR_LOG" "$pid" -- solr_probe
            log "Solr: already running (pid $pid, port $SOLR_PORT)"
            return 0
        fi
        log "Solr: running with other settings; restarting on port $SOLR_PORT with $SOLR_NODES node(s)"
        solr_stop
    fi
    # Replicas belong to nodes, and a node's name contains its port: on other ports or with
    # fewer nodes, the old cluster would keep replicas that never come back (and cores that
    # outlive their collection). So other settings mean a new, empty cluster.
    if [[ -n $recorded && $recorded != "$settings" && -d $SOLR_DATA ]]; then
        log "Solr: port/node count changed ($recorded -> $settings); starting with an empty cluster"
        rm -rf -- "$SOLR_DATA"
    fi
    for ((i = 0; i < SOLR_NODES; i++)); do
        ensure_free_port Solr "$((SOLR_PORT + i))" QUIRE_TEST_SOLR_PORT
    done
    solr_build
    rm -f "$SOLR_PID" "$SOLR_DATA/ready"
    install -d -m 0755 "$SOLR_DATA"
    log "Solr: starting $SOLR_NODES node(s) on 127.0.0.1:$SOLR_PORT (SolrCloud, embedded ZooKeeper)"
    # log4j2.level: no log4j2 config file is on the classpath, so Log4j's default console
    # logger is used at this level (INFO logs every request). solr.log.dir: Solr complains
    # without it. configset.upload.enabled is Solr 9's default, stated for the reader.
    (cd / && exec setsid "$JAVA" \
        -Xmx"$SOLR_HEAP" \
        -XX:+ExitOnOutOfMemoryError \
        -Dlog4j2.level=WARN \
        -Dsolr.log.dir="$SOLR_BASE" \
        -Dconfigset.upload.enabled=true \
        -cp "$SOLR_CLASSES:$(<"$SOLR_CLASSPATH")" \
        QuireTestSolr --port "$SOLR_PORT" --nodes "$SOLR_NODES" --dir "$SOLR_DATA" \
        </dev/null >>"$SOLR_LOG" 2>&1 9>&-) &
    pid=$!
    printf '%s\n' "$pid" >"$SOLR_PID"
    printf '%s\n' "$settings" >"$SOLR_BASE/port"
    # (TIMEOUT=... for one call: Solr gets its own, longer timeout)
    TIMEOUT=$SOLR_TIMEOUT wait_ready "Solr" "$SOLR_LOG" "$pid" -- solr_probe
    log "Solr: ready ($((SECONDS - t0))s)"
}

# ------------------------------------------------------------------ S3Proxy --

# The JVM's comm is only "java": check that it runs S3Proxy too.
s3_pid() {
    local pid
    pid="$(read_pidfile "$S3_PID")"
    pid_is "$pid" java || return 1
    [[ "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" == *" org.gaul.s3proxy.Main "* ]] || return 1
    printf '%s\n' "$pid"
}

# Ready: any HTTP answer (without credentials S3Proxy answers 403 AccessDenied).
s3_probe() {
    "$CURL" -s -m 5 -o /dev/null "http://127.0.0.1:$S3_PORT/"
}

# Written on every start. The properties are read as ISO-8859-1 with backslash escapes;
# the data root has no backslashes (prepare_state_dir moves such paths to /tmp), but escape
# them anyway.
# Blob store "filesystem-nio2" (S3Proxy's own; a bucket is a directory, an object a file),
# not jclouds' older "filesystem", which S3Proxy 2.6.0 calls deprecated and which lists every
# intermediate directory as an extra object ("a/", "a/b/" beside "a/b/c.txt") and takes 10 s
# to DeleteObject such a key.
# Not set: s3proxy.ignore-unknown-headers=true. Without it, S3Proxy answers 501 NotImplemented
# to the headers it does not know, like a strict S3 clone: flexible checksums
# (x-amz-checksum-*, sent by boto3 >= 1.36 unless request_checksum_calculation and
# response_checksum_validation are "when_required", and always for DeleteObjects),
# x-amz-server-side-encryption, tagging and versioning.
s3_write_config() {
    {
        printf '# Written by scripts/test-services.sh on every start; do not edit.\n'
        printf 's3proxy.endpoint=http://127.0.0.1:%s\n' "$S3_PORT"
        printf 's3proxy.authorization=aws-v2-or-v4\n'
        printf 's3proxy.identity=%s\n' "$S3_ACCESS_KEY"
        printf 's3proxy.credential=%s\n' "$S3_SECRET_KEY"
        printf 'jclouds.provider=filesystem-nio2\n'
        printf 'jclouds.filesystem.basedir=%s\n' "${S3_DATA//\\/\\\\}"
        printf 'jclouds.identity=%s\n' "$S3_ACCESS_KEY"
        printf 'jclouds.credential=%s\n' "$S3_SECRET_KEY"
    } >"$S3_PROPERTIES"
    # S3Proxy's jar has no logback.xml, and logback's default is DEBUG on the console (every
    # Jetty event, hundreds of lines per request); the LOG_LEVEL variable of S3Proxy's Docker
    # image does nothing here. WARN keeps startup quiet and skips the per-request lines.
    cat >"$S3_LOGBACK" <<'XML'
<!-- Written by scripts/test-services.sh on every start; do not edit. -->
<configuration>
  <appender name="CONSOLE" class="ch.qos.logback.core.ConsoleAppender">
    <encoder>
      <pattern>%d{yyyy-MM-dd HH:mm:ss.SSS} [%thread] %-5level %logger{36} - %msg%n</pattern>
    </encoder>
  </appender>
  <root level="WARN">
    <appender-ref ref="CONSOLE"/>
  </root>
</configuration>
XML
}

s3_stop() {
    local pid
    pid="$(s3_pid)" || return 0
    stop_java S3Proxy "$pid" "$TIMEOUT" "$S3_LOG"
}

s3_start() {
    local pid t0=$SECONDS
    install -d -m 0755 "$S3_BASE"
    if pid="$(s3_pid)"; then
        if [[ "$(cat "$S3_BASE/port" 2>/dev/null)" == "$S3_PORT" ]]; then
            wait_ready "S3Proxy" "$S3_LOG" "$pid" -- s3_probe
            log "S3Proxy: already running (pid $pid, port $S3_PORT)"
            return 0
        fi
        log "S3Proxy: running on another port; restarting on port $S3_PORT"
        s3_stop
    fi
    ensure_free_port S3Proxy "$S3_PORT" QUIRE_TEST_S3_PORT
    mvn_classpath S3Proxy "$S3_SRC_DIR/pom.xml" "$S3_CLASSPATH" "$S3_BUILD_LOG" "~45 MB"
    install -d -m 0755 "$S3_DATA"
    s3_write_config
    rm -f "$S3_PID"
    log "S3Proxy: starting on 127.0.0.1:$S3_PORT"
    # The classpath includes s3proxy-2.6.0.jar itself (a direct dependency of the pom).
    (cd / && exec setsid "$JAVA" \
        -Xmx512m \
        -XX:+ExitOnOutOfMemoryError \
        -Dlogback.configurationFile="$S3_LOGBACK" \
        -cp "$(<"$S3_CLASSPATH")" \
        org.gaul.s3proxy.Main --properties "$S3_PROPERTIES" \
        </dev/null >>"$S3_LOG" 2>&1 9>&-) &
    pid=$!
    printf '%s\n' "$pid" >"$S3_PID"
    printf '%s\n' "$S3_PORT" >"$S3_BASE/port"
    wait_ready "S3Proxy" "$S3_LOG" "$pid" -- s3_probe
    log "S3Proxy: ready ($((SECONDS - t0))s)"
}

# --------------------------------------------------------------- commands --

cmd_start() {
    local t0=$SECONDS
    ensure_packages
    resolve_binaries
    prepare_state_dir
    pg_start
    mdb_start
    redis_start
    solr_start
    s3_start
    log "all services ready ($((SECONDS - t0))s); state dir: $STATE_DIR"
    print_env
}

cmd_stop() {
    if [[ ! -d $STATE_DIR ]]; then
        log "nothing to stop ($STATE_DIR does not exist)"
        return 0
    fi
    lock_state_dir
    resolve_binaries
    load_data_root
    pg_stop
    mdb_stop
    redis_stop
    solr_stop
    s3_stop
    log "stopped"
}

cmd_clean() {
    if [[ -d $STATE_DIR && ! -e $STATE_DIR/$MARKER ]] && [[ -n "$(ls -A "$STATE_DIR")" ]]; then
        die "$STATE_DIR was not created by this script; refusing to delete it"
    fi
    cmd_stop
    [[ -d $STATE_DIR ]] || return 0
    load_data_root
    if [[ $DATA_ROOT != "$STATE_DIR" && -d $DATA_ROOT && ! -L $DATA_ROOT && -e $DATA_ROOT/$MARKER ]]; then
        log "removing $DATA_ROOT"
        rm -rf -- "$DATA_ROOT"
    fi
    log "removing $STATE_DIR"
    rm -rf -- "$STATE_DIR"
}

main() {
    if (($# != 1)); then
        usage
        exit 2
    fi
    check_config
    case "$1" in
        start) cmd_start ;;
        stop) cmd_stop ;;
        env) print_env ;;
        clean) cmd_clean ;;
        -h | --help | help) usage ;;
        *)
            usage
            exit 2
            ;;
    esac
}

main "$@"
