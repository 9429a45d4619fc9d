"""``quire path-templates apply``, run as a real process against each database backend."""

import uuid

from tests.cli.test_commands import run_quire  # noqa: F401 (a fixture)
from tests.helpers.custom_fields import create_field, create_type, set_type, set_values
from tests.helpers.nodes import make_document
from tests.path_templates.test_filing import path_of


def test_apply_files_a_whole_type_and_is_idempotent(run_quire, db, alice, bob):  # noqa: F811
    year = create_field(alice.client, "Year", "int")
    template = "/home/Archive/{{ document.cf.Year }}/{{ document.title }}"
    doc_type = create_type(alice.client, "Invoice", [year["id"]], path_template=template)
    documents = [make_document(alice, f"Bill {n}") for n in range(3)]
    for n, document in enumerate(documents):
        set_type(alice, document["id"], doc_type["id"])
        set_values(alice, document["id"], {"Year": 2020 + n})
    first = run_quire("path-templates", "apply", "--type", "invoice")
    assert "moved: 3" in first.stderr
    assert [path_of(db, d["id"]) for d in documents] == [
        f"Archive/{2020 + n}/Bill {n}" for n in range(3)
    ]
    again = run_quire("path-templates", "apply", "--type", doc_type["id"])
    assert "unchanged: 3" in again.stderr

    # Refused documents: exit 2, pointing at the audit log.
    url = f"/api/document-types/{doc_type['id']}"
    assert alice.client.patch(url, json={"path_template": "/home/../x"}).status_code == 200
    refused = run_quire("path-templates", "apply", "--type", "Invoice", check=False)
    assert refused.returncode == 2
    assert "refused: 3" in refused.stderr
    assert "document.filing_refused" in refused.stderr

    # Bad input: a message, exit 1.
    create_type(bob.client, "Invoice", path_template="/home/x/")
    for args, message in [
        (["--type", "Invoice"], "several users have a document type named 'Invoice'"),
        (["--type", "Nope"], "no document type 'Nope'"),
        (["--type", str(uuid.uuid4())], "no document type"),
        (["--type", "Invoice", "--user", "nobody"], "of user 'nobody'"),
    ]:
        result = run_quire("path-templates", "apply", *args, check=False)
        assert result.returncode == 1
        assert message in result.stderr
    create_type(alice.client, "Plain")
    plain = run_quire("path-templates", "apply", "--type", "Plain", check=False)
    assert plain.returncode == 1
    assert "has no path template" in plain.stderr
    ok = run_quire("path-templates", "apply", "--type", "Invoice", "--user", bob.user.username)
    assert "filed 0 document(s)" in ok.stderr
