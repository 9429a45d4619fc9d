"""``MAIN__FILE_SERVER=s3``: downloads and previews by redirect to signed URLs."""

import base64
import json
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from quire.core.config import Settings
from tests import samples


def serve_from_bucket(mode, **main):
    settings = Settings.model_validate(
        {
            **mode.settings.model_dump(),
            "main": {**mode.settings.main.model_dump(), "file_server": "s3", **main},
        }
    )
    mode.settings = settings
    mode.app.state.settings = settings


def upload(account, content):
    response = account.client.post(
        "/api/documents/upload", files={"file": ("Zürich report.pdf", content, "application/pdf")}
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def served(primary):
    serve_from_bucket(primary)
    return primary


def test_a_download_redirects_to_a_signed_url_that_serves_the_file(served, alice):
    content = samples.pdf_with_text(["signed"])
    version = upload(alice, content)["versions"][0]
    response = alice.client.get(
        f"/api/document-versions/{version['id']}/download", follow_redirects=False
    )
    assert response.status_code == 307
    url = response.headers["location"]
    assert "X-Amz-Signature=" in url
    fetched = httpx.get(url)
    assert fetched.status_code == 200
    assert fetched.content == content
    assert "Z%C3%BCrich%20report.pdf" in fetched.headers["content-disposition"]


def test_download_url_answers_a_signed_url(served, alice):
    version = upload(alice, samples.pdf_with_text(["x"]))["versions"][0]
    url = alice.client.get(f"/api/document-versions/{version['id']}/download-url").json()[
        "downloadURL"
    ]
    assert url.startswith(served.settings.s3.endpoint_url)
    assert httpx.get(url).status_code == 200


def test_a_signed_url_expires(served, alice):
    settings = Settings.model_validate(
        {
            **served.settings.model_dump(),
            "s3": {**served.settings.s3.model_dump(), "presign_expires_seconds": 1},
        }
    )
    served.app.state.settings = settings
    from quire.s3.bucket import forget_buckets

    forget_buckets()
    served.storage.bucket.settings = settings  # this host's bucket signs with the new expiry
    version = upload(alice, samples.pdf_with_text(["soon gone"]))["versions"][0]
    url = alice.client.get(
        f"/api/document-versions/{version['id']}/download", follow_redirects=False
    ).headers["location"]
    assert parse_qs(urlsplit(url).query)["X-Amz-Expires"] == ["1"]
    time.sleep(2.5)
    assert httpx.get(url).status_code == 403


def test_thumbnails_and_previews_redirect_too(served, alice):
    document = upload(alice, samples.pdf_with_text(["preview me"]))
    thumbnail = alice.client.get(f"/api/thumbnails/{document['id']}", follow_redirects=False)
    assert thumbnail.status_code == 307
    assert httpx.get(thumbnail.headers["location"]).content[:3] == b"\xff\xd8\xff"
    page_id = alice.client.get(f"/api/documents/{document['id']}/last-version/").json()["pages"][0][
        "id"
    ]
    preview = alice.client.get(f"/api/pages/{page_id}/jpg", follow_redirects=False)
    assert preview.status_code == 307
    assert httpx.get(preview.headers["location"]).content[:3] == b"\xff\xd8\xff"


def test_another_users_file_gets_no_signed_url(served, alice, bob):
    document = upload(alice, samples.pdf_with_text(["private"]))
    version_id = document["versions"][0]["id"]
    for path in (
        f"/api/document-versions/{version_id}/download",
        f"/api/document-versions/{version_id}/download-url",
        f"/api/thumbnails/{document['id']}",
    ):
        response = bob.client.get(path, follow_redirects=False)
        assert response.status_code == 404, path
        assert "location" not in response.headers
        assert "amz" not in response.text.lower()
    missing = bob.client.get(f"/api/document-versions/{uuid.uuid4()}/download")
    assert missing.status_code == 404
    assert missing.json() == bob.client.get(f"/api/document-versions/{version_id}/download").json()


def test_mirror_mode_serves_locally_until_the_copy_is_there(mirror, alice):
    serve_from_bucket(mirror)
    version = upload(alice, samples.pdf_with_text(["not yet mirrored"]))["versions"][0]
    path = f"/api/document-versions/{version['id']}/download"
    assert alice.client.get(path, follow_redirects=False).status_code == 200
    mirror.run_all()
    response = alice.client.get(path, follow_redirects=False)
    assert response.status_code == 307
    assert httpx.get(response.headers["location"]).status_code == 200


def test_cloudfront_urls_are_signed_for_the_cdn_domain(served, alice):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    serve_from_bucket(
        served,
        cf_domain="cdn.example.com",
        cf_sign_url_key_id="K2JCJMDEHXQW5F",
        cf_sign_url_private_key=pem,
    )
    served.storage.bucket.settings = served.settings
    version = upload(alice, samples.pdf_with_text(["cdn"]))["versions"][0]
    url = alice.client.get(
        f"/api/document-versions/{version['id']}/download", follow_redirects=False
    ).headers["location"]
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc) == ("https", "cdn.example.com")
    assert parts.path.startswith("/docvers/")
    query = parse_qs(parts.query)
    assert query["Key-Pair-Id"] == ["K2JCJMDEHXQW5F"]
    expires = int(query["Expires"][0])
    assert 0 < expires - time.time() <= served.settings.s3.presign_expires_seconds + 5
    # CloudFront's canned policy, signed with the key pair: check it as CloudFront would.
    resource = url[: url.index("Expires=") - 1]
    policy = json.dumps(
        {
            "Statement": [
                {"Resource": resource, "Condition": {"DateLessThan": {"AWS:EpochTime": expires}}}
            ]
        },
        separators=(",", ":"),
    ).encode()
    signature = base64.b64decode(
        query["Signature"][0].replace("-", "+").replace("_", "=").replace("~", "/")
    )
    key.public_key().verify(signature, policy, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303
