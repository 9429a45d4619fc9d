"""POST /api/token, signature checks on every request, personal API tokens, throttling."""

import base64
import json
import time

import jwt

from tests.conftest import PASSWORD


def test_login_returns_a_signed_token_that_works(client, alice):
    response = client.post("/api/token", json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sub"] == str(alice.id)
    me = client.get("/api/users/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["username"] == "alice"


def test_login_accepts_an_oauth2_form(client, alice):
    response = client.post("/api/token", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    assert response.cookies.get("access_token")


def test_wrong_password_and_unknown_user_look_the_same(client, alice):
    wrong = client.post("/api/token", json={"username": "alice", "password": "nope"})
    unknown = client.post("/api/token", json={"username": "nobody", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "wrong username or password"}


def test_malformed_login_body_is_a_422_with_a_message(client):
    response = client.post(
        "/api/token", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert "username" in response.json()["detail"]


def test_forged_token_is_rejected(client, alice):
    """Upstream core decoded the payload without checking the signature; we check it."""
    payload = base64.urlsafe_b64encode(
        json.dumps({"sub": str(alice.id), "exp": 9999999999}).encode()
    ).rstrip(b"=")
    for token in (
        f"abc.{payload.decode()}.xyz",
        jwt.encode({"sub": str(alice.id), "exp": 9999999999}, "another-key", algorithm="HS256"),
        jwt.encode({"sub": str(alice.id), "exp": 9999999999}, None, algorithm="none"),
    ):
        response = client.get("/api/users/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token


def test_expired_token_is_rejected(client, app, alice):
    key = app.state.settings.security.secret_key.get_secret_value()
    token = jwt.encode({"sub": str(alice.id), "exp": 1}, key, algorithm="HS256")
    response = client.get("/api/users/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_a_token_verified_before_it_expired_is_refused_after(client, app, alice):
    """Verified signatures are remembered (core/security.py); the expiry is checked each time."""
    key = app.state.settings.security.secret_key.get_secret_value()
    expires = int(time.time()) + 2
    token = jwt.encode({"sub": str(alice.id), "exp": expires}, key, algorithm="HS256")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/users/me", headers=headers).status_code == 200
    time.sleep(max(0.0, expires - time.time()) + 0.05)
    response = client.get("/api/users/me", headers=headers)
    assert response.status_code == 401
    assert response.json()["detail"] == "invalid or expired token"


def test_no_credentials_is_401(client):
    assert client.get("/api/users/me").status_code == 401


def test_failed_logins_are_throttled_per_account_and_address(client, app, alice, bob):
    """The whole policy, and its real-server tests: tests/hardening/test_login_throttle.py."""
    free = app.state.settings.auth.failures_before_backoff
    for _ in range(free):
        assert (
            client.post("/api/token", json={"username": "alice", "password": "x"}).status_code
            == 401
        )
    # From this address even the right password waits out the back-off: 2 s after the 5th.
    throttled = client.post("/api/token", json={"username": "alice", "password": PASSWORD})
    assert throttled.status_code == 429
    assert 1 <= int(throttled.headers["Retry-After"]) <= 2
    # Another account from the same address is unaffected (the per-address limit is higher).
    assert (
        client.post("/api/token", json={"username": "bob", "password": PASSWORD}).status_code == 200
    )


def test_personal_api_token_lifecycle(client, alice, bob):
    created = alice.client.post("/api/tokens/", json={"name": "scanner", "expires_in_days": 30})
    assert created.status_code == 201
    secret = created.json()["token"]
    assert secret.startswith("qt_")
    listed = alice.client.get("/api/tokens/").json()
    assert [t["name"] for t in listed] == ["scanner"]
    assert "token" not in listed[0]
    me = client.get("/api/users/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.json()["username"] == "alice"

    token_id = created.json()["id"]
    # Bob can neither see nor revoke Alice's token.
    assert bob.client.get("/api/tokens/").json() == []
    assert bob.client.delete(f"/api/tokens/{token_id}").status_code == 404

    assert alice.client.delete(f"/api/tokens/{token_id}").status_code == 204
    revoked = client.get("/api/users/me", headers={"Authorization": f"Bearer {secret}"})
    assert revoked.status_code == 401


def test_api_token_bad_input(alice):
    assert alice.client.post("/api/tokens/", json={"name": ""}).status_code == 422
    assert (
        alice.client.post("/api/tokens/", json={"name": "x", "expires_in_days": -1}).status_code
        == 422
    )
    assert alice.client.delete("/api/tokens/not-a-uuid").status_code == 422
