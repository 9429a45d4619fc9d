"""``quire s3 sync [--verify] [--dry-run]``: the whole bucket against its source of truth."""

import uuid

import pytest

from quire.core.config import Settings
from quire.core.storage import docver_key, preview_key
from tests import samples
from tests.helpers.cli import run_quire
from tests.processes import clean_env
from tests.s3.conftest import bucket_env, objects, raw_client


def upload(account, text):
    response = account.client.post(
        "/api/documents/upload",
        files={"file": ("doc.pdf", samples.pdf_with_text([text]), "application/pdf")},
    )
    assert response.status_code == 201, response.text
    return response.json()


def no_grace(mode):
    """Orphans of any age are fair game (the default spares those under 15 minutes)."""
    mode.settings = Settings.model_validate(
        {
            **mode.settings.model_dump(),
            "s3": {**mode.settings.s3.model_dump(), "orphan_grace_seconds": 0},
        }
    )


@pytest.fixture
def mirrored(mirror, alice):
    for n in range(3):
        upload(alice, f"document {n}")
    mirror.run_all()
    assert mirror.reconciler().compare(verify=True).total == 0
    return mirror


def test_missing_objects_are_found_and_uploaded(mirrored):
    gone = sorted(objects(mirrored.bucket))[:4]
    for key in gone:
        raw_client().delete_object(Bucket=mirrored.bucket, Key=key)
    drift = mirrored.reconciler().compare(verify=False)
    assert sorted(map(str, drift.missing.keys)) == gone
    mirrored.reconciler().run(verify=False, repair=True)
    assert mirrored.reconciler().compare(verify=True).total == 0
    assert set(gone) <= set(objects(mirrored.bucket))


def test_stale_bytes_of_the_same_size_are_found_by_verify_only(mirrored):
    key = next(k for k in sorted(objects(mirrored.bucket)) if k.startswith("docvers/"))
    original = raw_client().get_object(Bucket=mirrored.bucket, Key=key)["Body"].read()
    tampered = bytes(reversed(original))
    raw_client().put_object(Bucket=mirrored.bucket, Key=key, Body=tampered)
    assert mirrored.reconciler().compare(verify=False).total == 0  # same size: looks fine
    drift = mirrored.reconciler().compare(verify=True)
    assert [str(k) for k in drift.stale.keys] == [key]
    mirrored.reconciler().run(verify=True, repair=True)
    assert raw_client().get_object(Bucket=mirrored.bucket, Key=key)["Body"].read() == original


def test_orphans_are_removed_but_young_ones_are_left_for_later(mirrored):
    stray = str(docver_key(uuid.uuid4(), "x.pdf"))
    foreign = "notes/readme.txt"  # outside Quire's layout: not ours to remove
    for key in (stray, foreign):
        raw_client().put_object(Bucket=mirrored.bucket, Key=key, Body=b"stray")
    drift = mirrored.reconciler().compare(verify=False)
    assert (drift.orphaned.count, drift.young) == (0, 1)  # it may be an upload in flight
    no_grace(mirrored)
    drift = mirrored.reconciler().compare(verify=False)
    assert [str(k) for k in drift.orphaned.keys] == [stray]
    mirrored.reconciler().run(verify=False, repair=True)
    remaining = objects(mirrored.bucket)
    assert stray not in remaining
    assert foreign in remaining


def test_an_interrupted_sync_is_finished_by_the_next(mirrored):
    keys = sorted(objects(mirrored.bucket))
    for key in keys:
        raw_client().delete_object(Bucket=mirrored.bucket, Key=key)

    def interrupt(shard):
        if shard == "previews/pages/00":
            raise KeyboardInterrupt  # Ctrl-C once the versions and thumbnails are done

    with pytest.raises(KeyboardInterrupt):
        mirrored.reconciler().run(verify=False, repair=True, progress=interrupt)
    done = set(objects(mirrored.bucket))
    assert done
    # Every version and thumbnail shard, and the first preview shard, went through.
    assert {k.split("/")[0] for k in done} >= {"docvers", "thumbnails"}
    assert all(not k.startswith("previews/") or k.startswith("previews/pages/00/") for k in done)
    assert not any(k.startswith("words/") for k in done)
    again = mirrored.reconciler().compare(verify=False)
    assert again.missing.count == len(keys) - len(done)
    mirrored.reconciler().run(verify=False, repair=True)
    assert mirrored.reconciler().compare(verify=True).total == 0
    assert sorted(objects(mirrored.bucket)) == keys


def test_a_run_lists_each_folder_a_thousand_keys_per_request(mirrored):
    """A request per shard made 1,024 listings per run, however few objects the bucket held."""
    reconciler = mirrored.reconciler()
    listings = []
    reconciler.bucket.client.meta.events.register(
        "before-call.s3.ListObjectsV2", lambda **_: listings.append(1)
    )
    drift = reconciler.compare(verify=False)
    assert (drift.total, drift.checked) == (0, len(objects(mirrored.bucket)))
    assert len(listings) == 4  # docvers, thumbnails, previews, words: under 1,000 keys each


def test_primary_mode_removes_orphans_and_reports_lost_files(primary, alice):
    kept = upload(alice, "kept")
    primary.run_all()
    version_id = kept["versions"][0]["id"]
    lost = f"docvers/{version_id[:2]}/{version_id[2:4]}/{version_id}/doc.pdf"
    stray = str(preview_key(uuid.uuid4(), "sm"))
    raw_client().put_object(Bucket=primary.bucket, Key=stray, Body=b"orphan")
    raw_client().delete_object(Bucket=primary.bucket, Key=lost)
    no_grace(primary)
    drift = primary.reconciler().compare(verify=False)
    assert [str(k) for k in drift.lost.keys] == [lost]
    assert [str(k) for k in drift.orphaned.keys] == [stray]
    primary.reconciler().run(verify=False, repair=True)
    assert stray not in objects(primary.bucket)


def test_primary_verify_reads_every_version_back(primary, alice):
    document = upload(alice, "verify me")
    version_id = document["versions"][0]["id"]
    key = f"docvers/{version_id[:2]}/{version_id[2:4]}/{version_id}/doc.pdf"
    assert primary.reconciler().compare(verify=True).total == 0
    body = raw_client().get_object(Bucket=primary.bucket, Key=key)["Body"].read()
    raw_client().put_object(Bucket=primary.bucket, Key=key, Body=body[:-1] + b"X")
    assert [str(k) for k in primary.reconciler().compare(verify=True).stale.keys] == [key]


# --- the command, as a real process ---------------------------------------------------------


def quire_s3(env, *args):
    return run_quire("s3", *args, env=env)


@pytest.fixture
def command_env(mirrored, database_url, tmp_path):
    return clean_env(
        tmp_path,
        QUIRE__DATABASE__URL=database_url,
        QUIRE__MAIN__DATA_DIR=str(tmp_path / "data"),
        QUIRE__MAIN__MEDIA_ROOT=str(mirrored.storage.root),
        **bucket_env(mirrored.bucket),
    )


def test_the_command_reports_repairs_and_verifies(mirrored, command_env):
    for key in sorted(objects(mirrored.bucket))[:2]:
        raw_client().delete_object(Bucket=mirrored.bucket, Key=key)
    before = objects(mirrored.bucket)
    dry = quire_s3(command_env, "sync", "--dry-run")
    assert dry.returncode == 2, dry.stderr
    assert "2 missing, 0 stale, 0 orphaned (would fix)" in dry.stderr
    assert objects(mirrored.bucket) == before  # a dry run changes nothing
    fixed = quire_s3(command_env, "sync")
    assert fixed.returncode == 0, fixed.stderr
    assert "2 missing, 0 stale, 0 orphaned (fixed)" in fixed.stderr
    verified = quire_s3(command_env, "sync", "--verify")
    assert verified.returncode == 0, verified.stderr
    assert "0 missing, 0 stale, 0 orphaned" in verified.stderr


def test_the_command_fails_clearly_without_a_usable_bucket(command_env):
    unset = {k: v for k, v in command_env.items() if k != "QUIRE__S3__BUCKET_NAME"}
    answer = quire_s3(unset, "sync")
    assert answer.returncode == 1
    assert "no bucket is configured" in answer.stderr
    wrong = {**command_env, "QUIRE__S3__SECRET_ACCESS_KEY": "wrong-secret-value"}
    answer = quire_s3(wrong, "sync", "--dry-run")
    assert answer.returncode == 1
    assert "refused" in answer.stderr
    assert "wrong-secret-value" not in answer.stderr + answer.stdout
    assert quire_s3(command_env, "check").returncode == 0


def test_import_stores_into_a_primary_bucket(primary, alice, database_url, tmp_path):
    env = clean_env(
        tmp_path,
        QUIRE__DATABASE__URL=database_url,
        QUIRE__MAIN__DATA_DIR=str(tmp_path / "importer"),
        QUIRE__OCR__AUTOMATIC="false",
        QUIRE__STORAGE__BACKEND="s3",
        **bucket_env(primary.bucket),
    )
    source = tmp_path / "scans"
    source.mkdir()
    content = samples.pdf_with_text(["imported into the bucket"])
    (source / "letter.pdf").write_bytes(content)
    command = ["import", str(source), "--user", "alice"]
    done = run_quire(*command, env=env)
    assert done.returncode == 0, done.stderr
    assert "imported 1" in done.stderr
    stored = [key for key in objects(primary.bucket) if key.endswith("/letter.pdf")]
    assert len(stored) == 1
    assert raw_client().get_object(Bucket=primary.bucket, Key=stored[0])["Body"].read() == content
    down = {**env, "QUIRE__S3__ENDPOINT_URL": "http://127.0.0.1:9"}
    refused = run_quire(*command, env=down)
    assert refused.returncode == 1
    assert "unreachable" in refused.stderr
