"""/api/probe/ (health, no authentication) and /api/version/ (signed-in users)."""

from quire import __version__


def test_probe_answers_without_authentication(client):
    response = client.get("/api/probe/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "storage": "ok"}


def test_version_needs_a_signed_in_user(client, alice):
    assert client.get("/api/version/").status_code == 401
    assert alice.client.get("/api/version/").json() == {"version": __version__}


def test_openapi_describes_the_api(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/token", "/api/nodes/{parent_id}", "/api/documents/upload", "/api/tasks/"):
        assert path in paths
