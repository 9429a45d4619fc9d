"""Failed logins slow the guesser down without locking the owner out (web/api/auth.py).

Time is moved by moving the recorded failures back (``rewind``), so the back-off is tested
without sleeping. The real-server tests show that ``quire serve`` believes X-Forwarded-For only
from ``SECURITY__TRUSTED_PROXIES``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from ipaddress import ip_network
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.requests import Request

from quire.core.config import AuthSettings, Settings
from quire.core.db import Database, utcnow
from quire.core.models import LoginFailure
from quire.web.api import auth as auth_module
from quire.web.client import client_address
from tests.conftest import PASSWORD
from tests.processes import clean_env, quire_serve

ATTACKER = "198.51.100.66"
OWNER = "203.0.113.5"


@contextmanager
def from_address(app: FastAPI, host: str) -> Iterator[TestClient]:
    with TestClient(app, client=(host, 40000)) as client:
        yield client


def login(
    client: TestClient, username: str, password: str, forwarded: str | None = None
) -> httpx.Response:
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    return client.post(
        "/api/token", json={"username": username, "password": password}, headers=headers
    )


def rewind(db: Database, seconds: float) -> None:
    """As if ``seconds`` had passed since every failure recorded so far."""
    with db.session() as session:
        for row in session.scalars(select(LoginFailure)):
            row.at -= timedelta(seconds=seconds)
        session.commit()


def retry_after(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    seconds = int(response.headers["Retry-After"])
    assert response.json() == {"detail": f"too many failed logins; try again in {seconds} s"}
    return seconds


@pytest.fixture
def auth(app: FastAPI) -> AuthSettings:
    settings: AuthSettings = app.state.settings.auth
    return settings


@pytest.fixture
def admin(make_account):  # type: ignore[no-untyped-def]
    return make_account("admin", is_superuser=True)


def test_an_attack_from_one_address_does_not_lock_the_owner_out(app, admin, auth):
    with from_address(app, ATTACKER) as attacker:
        answers = [login(attacker, "admin", "guess").status_code for _ in range(12)]
        free = auth.failures_before_backoff
        assert answers == [401] * free + [429] * (12 - free)
        # The attacker's address waits even with the right password: waiting is not optional.
        assert login(attacker, "admin", PASSWORD).status_code == 429
    with from_address(app, OWNER) as owner:
        assert login(owner, "admin", PASSWORD).status_code == 200


def test_the_back_off_doubles_and_ends_with_the_right_password(app, db, admin, auth):
    with from_address(app, ATTACKER) as client:
        for _ in range(auth.failures_before_backoff):
            assert login(client, "admin", "guess").status_code == 401
        waits = []
        for _ in range(4):
            waits.append(retry_after(login(client, "admin", "guess")))
            rewind(db, waits[-1])
            assert login(client, "admin", "guess").status_code == 401
        # Rounded up from what is left, so a slow machine may see a second less.
        for wait, expected in zip(waits, (2, 4, 8, 16), strict=True):
            assert expected - 1 <= wait <= expected
        last = retry_after(login(client, "admin", PASSWORD))
        assert 31 <= last <= 32
        rewind(db, last)
        assert login(client, "admin", PASSWORD).status_code == 200
        # The pair's earlier failures are forgiven: its free failures are back.
        for _ in range(auth.failures_before_backoff):
            assert login(client, "admin", "typo").status_code == 401


def test_the_back_off_is_capped(app, db, admin, auth, monkeypatch):
    monkeypatch.setattr(auth, "backoff_max_seconds", 10)
    with from_address(app, ATTACKER) as client:
        for _ in range(auth.failures_before_backoff + 5):
            rewind(db, 3600)
            assert login(client, "admin", "guess").status_code == 401
        assert 9 <= retry_after(login(client, "admin", "guess")) <= 10


def test_one_address_trying_many_accounts_backs_off(app, admin, auth, monkeypatch):
    monkeypatch.setattr(auth, "max_failures_per_address", 4)
    with from_address(app, ATTACKER) as attacker:
        for name in ("carol", "dave", "erin", "frank"):
            assert login(attacker, name, "guess").status_code == 401
        assert 1 <= retry_after(login(attacker, "grace", "guess")) <= 2
        assert retry_after(login(attacker, "admin", PASSWORD))
    with from_address(app, OWNER) as owner:
        assert login(owner, "admin", PASSWORD).status_code == 200


def test_a_spread_out_attack_slows_its_addresses_but_not_a_clean_one(app, admin, auth, monkeypatch):
    monkeypatch.setattr(auth, "max_failures_per_account", 6)
    for i in range(6):
        with from_address(app, f"192.0.2.{i}") as bot:
            assert login(bot, "admin", "guess").status_code == 401
    # Past the account's ceiling, an address that has failed on it waits after a single failure...
    with from_address(app, "192.0.2.5") as bot:
        assert 1 <= retry_after(login(bot, "admin", "guess")) <= 2
    # ...but the account is not shut: the owner's address has not failed, and gets in.
    with from_address(app, OWNER) as owner:
        assert login(owner, "admin", PASSWORD).status_code == 200


def test_ipv6_clients_count_per_64_block(app, admin, auth, monkeypatch):
    monkeypatch.setattr(auth, "max_failures_per_address", 3)
    for i in range(3):
        with from_address(app, f"2001:db8:1:2::{i + 1:x}") as rotating:
            assert login(rotating, f"user{i}", "guess").status_code == 401
    with from_address(app, "2001:db8:1:2:ffff::9") as rotating:
        assert retry_after(login(rotating, "user9", "guess"))
    with from_address(app, "2001:db8:1:3::1") as neighbour:
        assert login(neighbour, "admin", PASSWORD).status_code == 200


def test_a_trusted_proxy_forwards_the_client_address(app, admin, auth, monkeypatch):
    monkeypatch.setattr(app.state.settings.security, "trusted_proxies", [ip_network("10.0.0.0/8")])
    monkeypatch.setattr(auth, "max_failures_per_address", 3)
    # Proxies 10.0.0.1 and 10.0.0.2 in front: the client is the right-most address not theirs,
    # and whatever the client wrote to the left of it is ignored.
    with from_address(app, "10.0.0.1") as proxy:
        for i in range(3):
            forwarded = f"192.0.2.{i}, {ATTACKER}, 10.0.0.2"
            assert login(proxy, f"u{i}", "x", forwarded=forwarded).status_code == 401
        spoofed = f"192.0.2.99, {ATTACKER}:5555, 10.0.0.2"
        assert retry_after(login(proxy, "u9", "x", forwarded=spoofed))
        # Another client behind the same proxies has its own counter.
        assert login(proxy, "admin", PASSWORD, forwarded=OWNER).status_code == 200
    # A peer that is not a trusted proxy is its own address, whatever it forwards.
    with from_address(app, "198.51.100.77") as direct:
        for i in range(3):
            assert login(direct, f"v{i}", "x", forwarded=f"192.0.2.{i}").status_code == 401
        assert retry_after(login(direct, "v9", "x", forwarded="192.0.2.99"))


def test_attempts_are_logged_without_the_password(app, admin, auth, caplog):
    caplog.set_level(logging.INFO, logger="quire.web.api.auth")
    with from_address(app, ATTACKER) as client:
        for _ in range(auth.failures_before_backoff):
            login(client, "admin", "hunter2-secret")
        login(client, "admin", "hunter2-secret")
    with from_address(app, OWNER) as owner:
        login(owner, "admin", PASSWORD)
    records = [r for r in caplog.records if r.name == "quire.web.api.auth"]
    seen = [(r.event, r.username, r.client_address) for r in records]  # type: ignore[attr-defined]
    assert seen == [("login.failed", "admin", ATTACKER)] * auth.failures_before_backoff + [
        ("login.throttled", "admin", ATTACKER),
        ("login.succeeded", "admin", OWNER),
    ]
    assert "from 198.51.100.66" in records[0].getMessage()
    for record in records:
        text = record.getMessage() + repr(record.__dict__)
        assert "hunter2" not in text
        assert PASSWORD not in text


def test_old_failures_are_deleted(app, db, auth, monkeypatch):
    # Every failure sweeps the whole table, not only once a minute.
    monkeypatch.setattr(auth_module, "PRUNE_INTERVAL_SECONDS", 0.0)
    expired = utcnow() - timedelta(seconds=auth.failure_window_seconds + 1)
    with db.session() as session:
        session.add_all(LoginFailure(key=f"addr:192.0.2.{i}", at=expired) for i in range(5))
        session.add(LoginFailure(key="addr:192.0.2.200"))
        session.commit()
    with from_address(app, ATTACKER) as client:
        assert login(client, "nobody", "x").status_code == 401
    with db.session() as session:
        keys = sorted(session.scalars(select(LoginFailure.key)))
    assert keys == sorted(
        ["addr:192.0.2.200", f"addr:{ATTACKER}", "user:nobody", f"pair:{ATTACKER}|nobody"]
    )


def test_backoff_seconds():
    assert [auth_module.backoff_seconds(n, 5, 3600) for n in (0, 4, 5, 6, 7)] == [0, 0, 2, 4, 8]
    assert auth_module.backoff_seconds(16, 5, 3600) == 3600
    assert auth_module.backoff_seconds(10**6, 5, 3600) == 3600


def _address(peer: str, forwarded: list[str], proxies: str) -> str:
    scope = {
        "type": "http",
        "client": (peer, 1234),
        "headers": [(b"x-forwarded-for", value.encode()) for value in forwarded],
    }
    security = Settings.model_validate({"security": {"trusted_proxies": proxies}}).security
    return client_address(Request(scope), security)


def test_client_address_reads_forwarded_for_only_from_trusted_proxies():
    assert _address("192.0.2.1", ["203.0.113.7"], "") == "192.0.2.1"
    # Two header lines are one list; the proxies' own hops are skipped from the right.
    assert _address("10.0.0.1", ["1.2.3.4, 203.0.113.7", "10.0.0.2"], "10.0.0.0/8") == (
        "203.0.113.7"
    )
    assert _address("10.0.0.1", ["[2001:db8::7]:443"], "10.0.0.0/8") == "2001:db8::7"
    # Only proxies all the way: the left-most is as far as anyone can tell.
    assert _address("10.0.0.1", ["10.0.0.3, 10.0.0.2"], "10.0.0.0/8") == "10.0.0.3"
    # One client, one counter, whichever socket family it came in on.
    assert _address("::ffff:192.0.2.1", [], "") == "192.0.2.1"


def test_trusted_proxies_setting_takes_a_comma_separated_or_json_list(tmp_path, monkeypatch):
    monkeypatch.setenv("QUIRE_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("QUIRE__SECURITY__TRUSTED_PROXIES", "127.0.0.1, 10.1.2.3/8")
    expected = [ip_network("127.0.0.1/32"), ip_network("10.0.0.0/8")]
    assert Settings().security.trusted_proxies == expected
    monkeypatch.setenv("QUIRE__SECURITY__TRUSTED_PROXIES", '["127.0.0.1", "10.0.0.0/8"]')
    assert Settings().security.trusted_proxies == expected
    monkeypatch.delenv("QUIRE__SECURITY__TRUSTED_PROXIES")
    assert Settings().security.trusted_proxies == []


# --- ``quire serve``: uvicorn must not believe X-Forwarded-For from anyone unconfigured ---------


def _serve_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return clean_env(
        tmp_path,
        QUIRE__SECURITY__SECRET_KEY="k" * 48,
        QUIRE__AUTH__PASSWORD="admin-pass",
        QUIRE__AUTH__MAX_FAILURES_PER_ADDRESS="3",
        **extra,
    )


def _post_login(base: str, username: str, password: str, forwarded: str) -> httpx.Response:
    return httpx.post(
        f"{base}/api/token",
        json={"username": username, "password": password},
        headers={"X-Forwarded-For": forwarded},
    )


def test_serve_ignores_x_forwarded_for_from_an_untrusted_peer(tmp_path):
    """uvicorn trusted 127.0.0.1 by default: a rotating header was a fresh address each time."""
    with quire_serve(_serve_env(tmp_path), tmp_path / "serve.log") as server:
        for i in range(3):
            assert _post_login(server.base, f"u{i}", "x", f"192.0.2.{i}").status_code == 401
        throttled = _post_login(server.base, "u9", "x", "192.0.2.99")
        assert throttled.status_code == 429
        assert 1 <= int(throttled.headers["Retry-After"]) <= 2


def test_serve_uses_the_address_forwarded_by_a_trusted_proxy(tmp_path):
    env = _serve_env(tmp_path, QUIRE__SECURITY__TRUSTED_PROXIES="127.0.0.1, ::1")
    with quire_serve(env, tmp_path / "serve.log") as server:
        for i in range(3):
            forwarded = f"192.0.2.{i}, {ATTACKER}"
            assert _post_login(server.base, f"u{i}", "x", forwarded).status_code == 401
        spoofed = f"192.0.2.99, {ATTACKER}"
        assert _post_login(server.base, "u9", "x", spoofed).status_code == 429
        assert _post_login(server.base, "admin", "admin-pass", OWNER).status_code == 200
        output = server.process.output()
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    logins = [
        (entry["event"], entry["client_address"])
        for entry in lines
        if str(entry.get("event")).startswith("login.")
    ]
    assert logins == [("login.failed", ATTACKER)] * 3 + [
        ("login.throttled", ATTACKER),
        ("login.succeeded", OWNER),
    ]
