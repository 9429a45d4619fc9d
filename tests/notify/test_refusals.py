"""Sockets refused (1008, nothing delivered), and a slow client dropped alone."""

from __future__ import annotations

import socket as sockets
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import urlsplit

import jwt
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from quire.core import events
from quire.core.config import SecuritySettings
from quire.core.security import create_access_token
from tests.helpers.nodes import make_folder
from tests.notify.conftest import SECRET, TIMEOUT, next_event, token_of


def close_frame(socket) -> tuple[int, str]:
    """The close frame that ends the socket (a refused one receives nothing before it)."""
    with pytest.raises(ConnectionClosed) as closed:
        socket.recv(timeout=TIMEOUT)
    assert closed.value.rcvd is not None, "closed without a close frame"
    return closed.value.rcvd.code, closed.value.rcvd.reason


def signed(account, secret: str, minutes: int = 60) -> str:
    claims = jwt.decode(
        create_access_token(
            SecuritySettings(secret_key=SECRET),
            user_id=account.id,
            username=account.user.username,
            email="x@example.com",
            scopes=[],
        ),
        SECRET,
        algorithms=["HS256"],
    )
    claims["exp"] = claims["iat"] + int(timedelta(minutes=minutes).total_seconds())
    return jwt.encode(claims, secret, algorithm="HS256")


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("none", "not authenticated"),
        ("garbage", "invalid or expired token"),
        ("other key", "invalid or expired token"),
        ("expired", "invalid or expired token"),
        ("inactive account", "invalid or expired token"),
        ("after negative", "after must be the id of an event"),
        ("after text", "after must be the id of an event"),
    ],
)
def test_bad_credentials_are_closed_with_1008(node, alice, bob, case, reason):
    tokens = {
        "none": None,
        "garbage": "not-a-jwt",
        "other key": signed(alice, "another-key-" + "k" * 40),
        "expired": signed(alice, SECRET, minutes=-5),
        "inactive account": token_of(bob),
    }
    assert alice.client.patch(f"/api/users/{bob.id}", json={"is_active": False}).status_code == 200
    params = {"after": "-1" if case == "after negative" else "abc"} if "after" in case else {}
    with node.socket(tokens.get(case, token_of(alice)), **params) as socket:
        code, said = close_frame(socket)
    assert code == 1008
    assert said.startswith(reason)


def test_the_token_in_the_query_and_the_cookie_of_this_site_are_taken(node, alice):
    host = urlsplit(node.url).netloc
    with connect(f"{node.url}/ws?token={token_of(alice)}", open_timeout=TIMEOUT) as by_query:
        cookie = {"Cookie": f"access_token={token_of(alice)}", "Origin": f"http://{host}"}
        with connect(f"{node.url}/ws", additional_headers=cookie) as by_cookie:
            events_api = alice.client.post(
                "/api/nodes/", json={"title": "F", "ctype": "folder", "parent_id": alice.home_id}
            )
            assert events_api.status_code == 201
            assert next_event(by_query) == next_event(by_cookie)


def test_the_session_cookie_from_another_site_is_refused(node, alice):
    headers = {"Cookie": f"access_token={token_of(alice)}", "Origin": "https://evil.example"}
    with connect(f"{node.url}/ws", additional_headers=headers) as socket:
        code, said = close_frame(socket)
    assert (code, said) == (1008, "the session cookie is only taken from this site's pages")


def raw_client(node, token: str) -> sockets.socket:
    """A client that completes the handshake and then reads nothing, with a small receive
    buffer: the server's writes to it back up at once."""
    url = urlsplit(node.url)
    raw = sockets.socket()
    raw.setsockopt(sockets.SOL_SOCKET, sockets.SO_RCVBUF, 4096)
    raw.connect((url.hostname, url.port))
    raw.sendall(
        (
            f"GET /ws HTTP/1.1\r\nHost: {url.netloc}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            f"Sec-WebSocket-Version: 13\r\nAuthorization: Bearer {token}\r\n\r\n"
        ).encode()
    )
    response = b""
    while b"\r\n\r\n" not in response:
        response += raw.recv(1)
    assert response.startswith(b"HTTP/1.1 101"), response
    return raw


def read_until_closed(raw: sockets.socket) -> int:
    """Every byte left, until the server closes the connection; how many."""
    raw.settimeout(TIMEOUT)
    total = 0
    while chunk := raw.recv(65536):
        total += len(chunk)
    return total


def test_a_slow_client_is_dropped_without_affecting_others(node, alice, db):
    total, size = 3000, 2000
    slow = raw_client(node, token_of(alice))
    with slow, node.socket(token_of(alice)) as fast, ThreadPoolExecutor(1) as reader:
        # The fast one reads while the events are written (read after, on a loaded machine its
        # queue filled as the slow one's did).
        reading = reader.submit(lambda: [next_event(fast)["payload"]["n"] for _ in range(total)])
        for batch in range(total // 50):
            with db.session() as session:
                for number in range(50):
                    n = batch * 50 + number
                    events.publish(session, alice.id, "test.filler", n=n, blob="x" * size)
                session.commit()
        # The fast one gets every event, in order.
        assert reading.result() == list(range(total))
        # The slow one was dropped: the server closed its connection (once what the buffers
        # held is read: megabytes, on loopback) before all the events were written to it.
        assert read_until_closed(slow) < total * size
        # And the other is still served.
        make_folder(alice, "Still here")
        assert next_event(fast)["payload"]["title"] == "Still here"
