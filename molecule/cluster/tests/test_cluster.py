"""The cluster scenario: nginx in front of two web hosts, PostgreSQL, Redis, Solr, a worker host
and an S3-compatible server, each in its own container.

The requests come from the controller, as a client's would: through the load balancer (HTTPS,
checked against the certificate create.yml made for it), or straight to one web host where the
test needs to pick it.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

import httpx
import pytest
import testinfra
from quire_checks import curl, sandbox_exposure, scanned_pdf, secrets_in_ansible_output
from quire_testinfra import podman_hosts

# The test values of molecule.yml's inventory: none may show in a journal or a log.
SECRETS = (
    "molecule-cluster-secret-key-not-for-production-0123456789",
    "molecule-cluster-admin-password-7d41",
    "molecule-cluster-db-password-2b9e",
    "molecule-cluster-redis-password-e5a0",
    "molecule-cluster-s3-secret-key-4c8f",
)
ADMIN_PASSWORD = "molecule-cluster-admin-password-7d41"
WEB_PORT = 12000
# A word the OCR must read off the scan and the search must then find.
WORD = "Wombatquill"
SCENARIO_DIR = Path(__file__).resolve().parents[1]


def _hosts(group: str) -> list:
    return [testinfra.get_host(spec) for spec in podman_hosts(group)]


def _host(group: str):
    hosts = _hosts(group)
    assert hosts, f"no host in {group}"
    return hosts[0]


def _address(host) -> str:
    """The host's address on the scenario network (its quire_address)."""
    return host.check_output("hostname -I").split()[0]


def _listening(host) -> set[str]:
    """ADDRESS:PORT of every listening TCP socket (Java's IPv4 ones shown IPv4-mapped)."""
    entries = {line.split()[3] for line in host.check_output("ss -Htln").splitlines()}
    mapped = {entry for entry in entries if entry.startswith("[::ffff:")}
    return (entries - mapped) | {entry[8:].replace("]:", ":") for entry in mapped}


@pytest.fixture(scope="module")
def lb_url() -> str:
    return f"https://{_address(_host('quire_lb'))}"


@pytest.fixture(scope="module")
def web_urls() -> list[str]:
    return [f"http://{_address(web)}:{WEB_PORT}" for web in _hosts("quire_web")]


@pytest.fixture(scope="module")
def client():
    """HTTPS to the load balancer, its self-signed certificate trusted (and checked)."""
    certificate = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "lb.crt"
    with httpx.Client(verify=ssl.create_default_context(cafile=certificate), timeout=30) as http:
        yield http


@pytest.fixture(scope="module")
def auth(client, lb_url) -> dict[str, str]:
    response = client.post(
        f"{lb_url}/api/token", json={"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"authorization": f"Bearer {response.json()['access_token']}"}


# --- The services: their users, where they listen, their files --------------------------------


@pytest.mark.parametrize(
    ("group", "unit", "user"),
    [
        ("quire_web", "quire-web.service", "quire"),
        ("quire_workers", "quire-worker.service", "quire"),
        ("quire_notify", "quire-notify.service", "quire"),
        ("quire_db", "postgresql@15-main.service", "postgres"),
        ("quire_redis", "redis-server.service", "redis"),
        ("quire_solr", "solr.service", "solr"),
        ("quire_zookeeper", "zookeeper.service", "zookeeper"),
        # nginx's master process; its workers are checked below.
        ("quire_lb", "nginx.service", "root"),
        ("s3proxy", "s3proxy.service", "s3proxy"),
    ],
)
def test_service_runs_as_its_own_user(group, unit, user):
    for host in _hosts(group):
        service = host.service(unit)
        assert service.is_running, f"{unit} on {host.backend.name}"
        assert service.is_enabled
        pid = int(host.check_output(f"systemctl show -P MainPID {unit}"))
        assert pid > 0
        assert host.check_output(f"ps -o user= -p {pid}").strip() == user


def test_nginx_workers_run_as_www_data():
    lb = _host("quire_lb")
    pid = int(lb.check_output("systemctl show -P MainPID nginx.service"))
    workers = lb.check_output(f"ps -o user= --ppid {pid}").split()
    assert workers
    assert set(workers) == {"www-data"}


def test_only_the_worker_host_runs_workers():
    for web in _hosts("quire_web"):
        assert not web.service("quire-worker.service").is_running


@pytest.mark.parametrize(
    ("group", "port", "where"),
    [
        # Where the load balancer reaches it, and nowhere else.
        ("quire_web", WEB_PORT, {"address"}),
        ("quire_db", 5432, {"loopback", "address"}),
        ("quire_redis", 6379, {"loopback", "address"}),
        # Solr's own server on loopback, solr-proxy.socket on the host's address.
        ("quire_solr", 8983, {"loopback", "address"}),
        ("quire_zookeeper", 2181, {"address"}),
        ("quire_notify", 12100, {"address"}),
        ("quire_lb", 80, {"any"}),
        ("quire_lb", 443, {"any"}),
    ],
)
def test_services_listen_where_they_should(group, port, where):
    for host in _hosts(group):
        expected = set()
        if "loopback" in where:
            expected.add(f"127.0.0.1:{port}")
        if "address" in where:
            expected.add(f"{_address(host)}:{port}")
        if "any" in where:
            expected |= {f"0.0.0.0:{port}", f"[::]:{port}"}
        listening = {entry for entry in _listening(host) if entry.rsplit(":", 1)[1] == str(port)}
        assert listening == expected, host.backend.name


def test_solr_proxy_is_systemds_socket_and_runs_as_a_throwaway_user():
    solr = _host("quire_solr")
    sockets = solr.check_output("ss -Htlnp")
    line = next(line for line in sockets.splitlines() if f"{_address(solr)}:8983" in line)
    assert '"systemd",pid=1' in line
    # The proxy itself runs as a throw-away user (DynamicUser: uids 61184-65519).
    pid = int(solr.check_output("systemctl show -P MainPID solr-proxy.service"))
    assert pid > 0
    assert 61184 <= int(solr.check_output(f"ps -o uid= -p {pid}")) <= 65519


def test_solr_runs_on_the_zookeeper_host_under_its_chroot():
    solr, zookeeper = _host("quire_solr"), _host("quire_zookeeper")
    # No embedded ZooKeeper on the Solr host.
    assert not {entry for entry in _listening(solr) if entry.endswith(":9983")}
    status, body = curl(solr, "http://127.0.0.1:8983/solr/admin/info/system?wt=json")
    assert status == 200, body
    assert json.loads(body)["zkHost"] == f"{_address(zookeeper)}:2181/solr"
    # The node as ZooKeeper knows it: at the address the proxy listens on.
    status, body = curl(
        solr, "http://127.0.0.1:8983/solr/admin/collections?action=CLUSTERSTATUS&wt=json"
    )
    assert status == 200, body
    assert json.loads(body)["cluster"]["live_nodes"] == [f"{_address(solr)}:8983_solr"]


@pytest.mark.parametrize("group", ["quire_web", "quire_workers"])
def test_settings_file_is_0640_and_points_at_the_other_hosts(group):
    db, redis, solr, lb = (
        _address(_host(g)) for g in ("quire_db", "quire_redis", "quire_solr", "quire_lb")
    )
    for host in _hosts(group):
        config = host.file("/etc/quire/quire.toml")
        assert (config.user, config.group, config.mode) == ("root", "quire", 0o640)
        settings = tomllib.loads(config.content_string)
        assert settings["database"]["url"] == (
            f"postgresql://quire:molecule-cluster-db-password-2b9e@{db}:5432/quire"
        )
        assert settings["redis"]["url"] == (
            f"redis://:molecule-cluster-redis-password-e5a0@{redis}:6379/0"
        )
        assert settings["search"]["url"] == f"solr://{solr}:8983/quire"
        assert settings["security"]["trusted_proxies"] == [lb]
        assert settings["storage"]["backend"] == "s3"
        assert settings["s3"]["endpoint_url"] == f"http://{_address(_host('s3proxy'))}:9000"


def test_other_configuration_files_are_not_world_readable():
    redis_conf = _host("quire_redis").file("/etc/redis/redis.conf")
    assert (redis_conf.user, redis_conf.mode) == ("redis", 0o640)
    key = _host("quire_lb").file("/etc/nginx/tls/quire.key")
    assert (key.user, key.group, key.mode) == ("root", "root", 0o600)


@pytest.mark.parametrize(
    ("group", "unit"),
    [
        ("quire_web", "quire-web.service"),
        ("quire_workers", "quire-worker.service"),
        ("quire_solr", "solr-proxy.service"),
    ],
)
def test_sandbox_exposure_is_at_most_2(group, unit):
    for host in _hosts(group):
        assert sandbox_exposure(host, unit) <= 2.0, host.backend.name


# --- Through the load balancer -----------------------------------------------------------------


def test_the_load_balancer_answers_its_health_check_and_redirects_to_https(lb_url):
    http_url = lb_url.replace("https://", "http://")
    response = httpx.get(f"{http_url}/healthz")
    assert (response.status_code, response.text) == (200, "ok\n")
    response = httpx.get(f"{http_url}/api/probe/")
    assert response.status_code == 301
    assert response.headers["location"] == f"{lb_url}/api/probe/"


def test_requests_reach_quire_through_https(client, lb_url, auth):
    assert client.get(f"{lb_url}/api/probe/").status_code == 200
    me = client.get(f"{lb_url}/api/users/me", headers=auth)
    assert me.status_code == 200, me.text
    assert me.json()["username"] == "admin"


def _client_seen_by_the_web_hosts(marker: str) -> set[str]:
    """The client addresses of the web hosts' access log lines for requests with the marker."""
    seen = set()
    for web in _hosts("quire_web"):
        journal = web.run(f"journalctl --no-pager -o cat -u quire-web.service -g {marker}")
        for line in journal.stdout.splitlines():
            message = json.loads(line)["msg"]
            seen.add(message.split(" ", 1)[0].rsplit(":", 1)[0])
    return seen


def test_the_web_hosts_see_the_client_through_the_load_balancer_only(client, lb_url, web_urls):
    # The controller's address toward the scenario network (a UDP "connection" sends nothing).
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect((lb_url.removeprefix("https://"), 9))
        controller = probe.getsockname()[0]
    spoofed = {"x-forwarded-for": "203.0.113.7"}

    marker = f"via-lb-{time.time_ns()}"
    assert client.get(f"{lb_url}/api/probe/?{marker}", headers=spoofed).status_code == 200
    marker_direct = f"direct-{time.time_ns()}"
    assert (
        httpx.get(f"{web_urls[0]}/api/probe/?{marker_direct}", headers=spoofed).status_code == 200
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not (
        _client_seen_by_the_web_hosts(marker) and _client_seen_by_the_web_hosts(marker_direct)
    ):
        time.sleep(0.5)
    # Through nginx: the controller (nginx's X-Forwarded-For, believed from the load balancer);
    # straight to a web host: the controller too, whatever the request claims.
    assert _client_seen_by_the_web_hosts(marker) == {controller}
    assert _client_seen_by_the_web_hosts(marker_direct) == {controller}


def _wait_for_ocr(client, url: str, auth, document_id: str) -> dict:
    deadline = time.monotonic() + 300
    status: dict = {}
    while time.monotonic() < deadline:
        response = client.get(
            f"{url}/api/documents/ocr-status/?doc_ids={document_id}", headers=auth
        )
        assert response.status_code == 200, response.text
        status = response.json()[0]
        if status["status"] in ("SUCCESS", "FAILURE"):
            break
        time.sleep(3)
    return status


def test_a_scan_uploaded_through_web1_is_ocrd_on_the_worker_and_downloads_through_web2(
    client, lb_url, web_urls, auth
):
    web1, web2 = web_urls[:2]
    worker = _host("quire_workers")
    since = worker.check_output("date -u +'%Y-%m-%d %H:%M:%S'")
    scan = scanned_pdf(WORD)
    response = httpx.post(
        f"{web1}/api/documents/upload",
        headers=auth,
        files={"file": ("cluster-scan.pdf", scan, "application/pdf")},
        data={"title": "cluster-scan", "lang": "eng"},
        timeout=60,
    )
    assert response.status_code == 201, response.text
    document_id = response.json()["id"]

    ocr = _wait_for_ocr(client, lb_url, auth, document_id)
    assert ocr.get("status") == "SUCCESS", ocr
    # The worker host ran an OCR task since the upload (the web hosts run no worker).
    worker_log = worker.check_output(
        f"journalctl --no-pager -o cat -u quire-worker.service --since '{since}' -g 'task done'"
    )
    assert any(json.loads(line).get("task") == "ocr" for line in worker_log.splitlines())

    versions = httpx.get(f"{web2}/api/documents/{document_id}/versions", headers=auth)
    assert versions.status_code == 200, versions.text
    numbers = {version["number"]: version["id"] for version in versions.json()}
    # Version 1 is the upload itself, downloaded through the other web host.
    original = httpx.get(f"{web2}/api/document-versions/{numbers[1]}/download", headers=auth)
    assert original.status_code == 200, original.text
    assert original.content == scan
    # From the bucket: S3Proxy keeps each object as a file.
    bucket = _host("s3proxy").check_output(
        "find /var/lib/s3proxy/quire-cluster -type f -name '*.pdf'"
    )
    assert numbers[1] in bucket
    # The OCR'd version, the same bytes through either web host.
    latest = numbers[max(numbers)]
    assert max(numbers) > 1
    through_web1 = httpx.get(f"{web1}/api/document-versions/{latest}/download", headers=auth)
    through_web2 = httpx.get(f"{web2}/api/document-versions/{latest}/download", headers=auth)
    assert through_web1.status_code == through_web2.status_code == 200
    assert through_web1.content == through_web2.content != scan

    deadline = time.monotonic() + 120
    found: list[str] = []
    while time.monotonic() < deadline:
        response = client.get(f"{lb_url}/api/search/?q={WORD.lower()}", headers=auth)
        assert response.status_code == 200, response.text
        found = [item["id"] for item in response.json()["items"]]
        if document_id in found:
            break
        time.sleep(3)
    assert document_id in found


def test_a_typed_document_is_filed_by_its_template_on_the_worker(client, lb_url, auth):
    """The path_tmpl queue is served: a document given a type and values moves where the
    type's template says (tests/path_templates: everything else about it)."""
    company = f"Cluster {int(time.time())}"
    field = client.post(
        f"{lb_url}/api/custom-fields/", headers=auth, json={"name": company, "type": "text"}
    )
    assert field.status_code == 201, field.text
    template = f"/home/Filed/{{{{ document.cf['{company}'] }}}}/{{{{ document.title }}}}"
    doc_type = client.post(
        f"{lb_url}/api/document-types/",
        headers=auth,
        json={"name": company, "custom_field_ids": [field.json()["id"]], "path_template": template},
    )
    assert doc_type.status_code == 201, doc_type.text
    home = client.get(f"{lb_url}/api/users/me", headers=auth).json()["home_folder_id"]
    document = client.post(
        f"{lb_url}/api/nodes/",
        headers=auth,
        json={"title": "bill", "ctype": "document", "parent_id": home},
    )
    assert document.status_code == 201, document.text
    document_id = document.json()["id"]
    typed = client.patch(
        f"{lb_url}/api/documents/{document_id}/type",
        headers=auth,
        json={"document_type_id": doc_type.json()["id"]},
    )
    assert typed.status_code == 200, typed.text
    valued = client.patch(
        f"{lb_url}/api/documents/{document_id}/custom-fields",
        headers=auth,
        json=[{"key": company, "value": "ACME"}],
    )
    assert valued.status_code == 200, valued.text
    deadline = time.monotonic() + 120
    titles: list[str] = []
    while time.monotonic() < deadline:
        details = client.get(f"{lb_url}/api/documents/{document_id}", headers=auth)
        assert details.status_code == 200, details.text
        titles = [title for _, title in details.json()["breadcrumb"]]
        if "ACME" in titles:
            break
        time.sleep(3)
    assert titles[-3:] == ["Filed", "ACME", "bill"]


def _request_loop(client, url: str, auth, stop: threading.Event, results: list) -> None:
    while not stop.is_set():
        try:
            response = client.get(f"{url}/api/users/me", headers=auth)
            results.append(response.status_code)
        except httpx.HTTPError as error:
            results.append(repr(error))
        time.sleep(0.02)


def test_the_service_keeps_answering_while_web1_stops(client, lb_url, web_urls, auth):
    web1 = _hosts("quire_web")[0]
    results: list = []
    stop = threading.Event()
    loop = threading.Thread(target=_request_loop, args=(client, lb_url, auth, stop, results))
    loop.start()
    try:
        time.sleep(3)
        web1.check_output("systemctl stop quire-web.service")
        time.sleep(8)
        # Both ways: while nginx still tries web1 and after it has given up on it.
        assert not web1.service("quire-web.service").is_running
    finally:
        stop.set()
        loop.join()
        web1.check_output("systemctl start quire-web.service")
    failed = [result for result in results if result != 200]
    assert len(results) > 50
    assert not failed, f"{len(failed)} of {len(results)} requests failed: {failed[:5]}"

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{web_urls[0]}/api/probe/").status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(1)
    assert httpx.get(f"{web_urls[0]}/api/probe/").status_code == 200


def _drain(web_hosts: list[str]) -> None:
    """molecule/cluster/drain.yml: these web hosts marked down (none: all back)."""
    inventory = Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent
    ansible_playbook = Path(sys.executable).parent / "ansible-playbook"
    subprocess.run(  # noqa: S603 (our arguments)
        [
            str(ansible_playbook),
            "-i",
            str(inventory),
            str(SCENARIO_DIR / "drain.yml"),
            "-e",
            json.dumps({"drained": web_hosts}),
        ],
        check=True,
        capture_output=True,
        env={**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(SCENARIO_DIR.parents[1])},
    )


def test_a_drained_web_host_gets_no_requests(client, lb_url, auth):
    web1_name = podman_hosts("quire_web")[0].removeprefix("podman://")
    web1 = _hosts("quire_web")[0]
    lb = _host("quire_lb")
    _drain([web1_name])
    try:
        upstream = lb.file("/etc/nginx/conf.d/quire-upstream.conf").content_string
        assert f"{_address(web1)}:{WEB_PORT} " in upstream
        web1_line = next(line for line in upstream.splitlines() if _address(web1) in line)
        assert web1_line.endswith(" down;")
        marker = f"drained-{time.time_ns()}"
        for _ in range(20):
            assert client.get(f"{lb_url}/api/probe/?{marker}", headers=auth).status_code == 200
        journal = web1.run(f"journalctl --no-pager -o cat -u quire-web.service -g {marker}")
        assert journal.stdout.strip() == ""
    finally:
        _drain([])
    assert " down;" not in lb.file("/etc/nginx/conf.d/quire-upstream.conf").content_string


# Last: every request above has left its lines.
def test_no_secret_in_any_journal_or_log():
    for host in _hosts("all"):
        journal = host.check_output("journalctl --no-pager -o cat")
        for secret in SECRETS:
            assert secret not in journal, f"{host.backend.name}'s journal"
        found = host.run("grep -rlF" + " -e %s" * len(SECRETS) + " /var/log", *SECRETS)
        assert found.rc == 1, f"{host.backend.name}: {found.stdout}"


def test_no_secret_in_ansibles_output():
    assert secrets_in_ansible_output(SECRETS) == []


# --- Notifications: /ws through the load balancer ------------------------------------------------


def _socket(lb_url: str, headers: dict[str, str] | None = None):
    from websockets.sync.client import connect

    certificate = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "lb.crt"
    return connect(
        lb_url.replace("https://", "wss://") + "/ws",
        ssl=ssl.create_default_context(cafile=certificate),
        additional_headers=headers,
        open_timeout=30,
    )


def _next_event(socket) -> dict:
    deadline = time.monotonic() + 60
    while True:
        message = json.loads(socket.recv(timeout=max(0.1, deadline - time.monotonic())))
        if message["type"] == "event":
            return message["event"]


def test_ws_through_the_load_balancer_answers_an_authenticated_client(client, lb_url, auth):
    """The notify host's /ws, through nginx: a folder made through the load balancer (on
    either web host) reaches the socket as its event, announced through Redis."""
    home = client.get(f"{lb_url}/api/users/me", headers=auth).json()["home_folder_id"]
    with _socket(lb_url, auth) as socket:
        title = f"notified-{time.time_ns()}"
        made = client.post(
            f"{lb_url}/api/nodes/",
            json={"title": title, "ctype": "folder", "parent_id": home},
            headers=auth,
        )
        assert made.status_code == 201, made.text
        event = _next_event(socket)
    assert event["kind"] == "node.created"
    assert event["payload"]["node_id"] == made.json()["id"]
    assert event["payload"]["title"] == title


def test_ws_through_the_load_balancer_refuses_a_client_without_credentials(lb_url):
    from websockets.exceptions import ConnectionClosed

    with _socket(lb_url) as socket, pytest.raises(ConnectionClosed) as closed:
        socket.recv(timeout=30)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1008
