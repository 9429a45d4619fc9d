"""Filing documents by their type's path template (issue 20), through the API and the
``path_tmpl`` tasks, on every database backend.

alice owns the types and the documents; the tasks run here, one after another, as a worker
would run them (``run_filing``).
"""

import uuid

import pytest
from sqlalchemy import func, select

from quire.core.filing import file_later
from quire.core.models import AuditEntry, Event, Node, TaskRecord
from quire.core.nodes import ancestors
from quire.core.tasks.execute import execute
from quire.path_templates import tasks as filing_tasks
from tests.helpers.custom_fields import create_field, create_type, set_type, set_values
from tests.helpers.nodes import make_document, make_folder
from tests.helpers.sharing import VIEWER, make_role, share

INVOICES = (
    "/home/Invoices/{{ document.cf['Company'] }}/{{ document.cf['Year'] }}/{{ document.title }}"
)


def run_filing(app, db):
    """Run the pending ``path_tmpl`` tasks until none is left (a re-filing queues its next
    batch as it ends); each must succeed. Returns how many ran."""
    ran = 0
    while True:
        with db.session() as session:
            pending = session.scalars(
                select(TaskRecord.id)
                .where(TaskRecord.queue == "path_tmpl", TaskRecord.state == "pending")
                .order_by(TaskRecord.created_at)
            ).all()
        if not pending:
            return ran
        for task_id in pending:
            assert execute(db, app.state.storage, app.state.settings, task_id) == "succeeded"
            ran += 1


def path_of(db, node_id):
    """The node's titles below its owner's root folder: ``Invoices/ACME/2024/Bill``."""
    with db.session() as session:
        node = session.get_one(Node, uuid.UUID(str(node_id)))
        return "/".join(title for _, title in ancestors(session, node, include_self=True)[1:])


def count(db, model, *where):
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def invoice_type(alice):
    company = create_field(alice.client, "Company")
    year = create_field(alice.client, "Year", "int")
    return create_type(alice.client, "Invoice", [company["id"], year["id"]], path_template=INVOICES)


def invoice(alice, doc_type, title, **values):
    document = make_document(alice, title)
    set_type(alice, document["id"], doc_type["id"])
    if values:
        assert set_values(alice, document["id"], values).status_code == 200
    return document


# --- happy paths -------------------------------------------------------------------------------


def test_typed_then_given_values_the_document_is_filed(app, db, alice, invoice_type):
    document = make_document(alice, "Bill 12")
    set_type(alice, document["id"], invoice_type["id"])
    run_filing(app, db)
    # Its values are missing yet: Unfiled, never a half-built path.
    assert path_of(db, document["id"]) == "Unfiled/Bill 12"
    assert set_values(alice, document["id"], {"Company": "ACME", "Year": 2024}).status_code == 200
    assert run_filing(app, db) == 1
    assert path_of(db, document["id"]) == "Invoices/ACME/2024/Bill 12"
    # The normal move: audit entries, a reindex, an event for the owner.
    moves = count(
        db,
        AuditEntry,
        AuditEntry.action == "node.move",
        AuditEntry.node_id == uuid.UUID(document["id"]),
    )
    assert moves == 2
    with db.session() as session:
        filed = session.scalars(
            select(Event).where(Event.kind == "document.filed").order_by(Event.id)
        ).all()
        assert [event.payload["path"] for event in filed] == [
            "/home/Unfiled/Bill 12",
            "/home/Invoices/ACME/2024/Bill 12",
        ]
        assert {event.user_id for event in filed} == {alice.id}
        index = session.scalars(select(TaskRecord).where(TaskRecord.name == "index")).all()
        assert any(document["id"] in task.args["node_ids"] for task in index)
    listing = alice.client.get(f"/api/nodes/{alice.home_id}").json()["items"]
    assert {item["title"] for item in listing} >= {"Invoices", "Unfiled"}


def test_filing_again_changes_nothing(app, db, alice, invoice_type):
    document = invoice(alice, invoice_type, "Bill", Company="ACME", Year=2024)
    run_filing(app, db)
    entries = count(db, AuditEntry)
    events = count(db, Event)
    # The same task again, as a redelivery would run it.
    with db.session() as session:
        file_later(session, [uuid.UUID(document["id"])])
        session.commit()
    assert run_filing(app, db) == 1
    assert path_of(db, document["id"]) == "Invoices/ACME/2024/Bill"
    assert (count(db, AuditEntry), count(db, Event)) == (entries, events)


def test_a_changed_value_moves_it_and_the_title_follows_the_template(app, db, alice):
    company = create_field(alice.client, "Company")
    doc_type = create_type(
        alice.client,
        "Letter",
        [company["id"]],
        path_template="/inbox/{{ document.cf.Company }}/{{ document.cf.Company|slugify }}.pdf",
    )
    document = invoice(alice, doc_type, "scan", Company="Café Müller")
    run_filing(app, db)
    with db.session() as session:
        node = session.get_one(Node, uuid.UUID(document["id"]))
        assert str(ancestors(session, node, include_self=False)[0][0]) == alice.inbox_id
    assert path_of(db, document["id"]) == "Café Müller/cafe-muller.pdf"
    set_values(alice, document["id"], {"Company": "ACME/Corp"})
    run_filing(app, db)
    # A slash in a value never adds a level.
    assert path_of(db, document["id"]) == "ACME-Corp/acme-corp.pdf"


def test_a_retyped_document_follows_its_new_types_template(app, db, alice, invoice_type):
    document = invoice(alice, invoice_type, "Bill", Company="ACME", Year=2024)
    run_filing(app, db)
    receipts = create_type(alice.client, "Receipt", path_template="/home/Receipts/")
    set_type(alice, document["id"], receipts["id"])
    assert run_filing(app, db) == 1
    assert path_of(db, document["id"]) == "Receipts/Bill"
    # Untyped: it stays where it is.
    set_type(alice, document["id"], None)
    assert run_filing(app, db) == 0
    assert path_of(db, document["id"]) == "Receipts/Bill"


def test_a_changed_template_refiles_every_document_in_batches(
    app, db, alice, invoice_type, monkeypatch
):
    monkeypatch.setattr(filing_tasks, "BATCH_SIZE", 2)
    documents = [
        invoice(alice, invoice_type, f"Bill {n}", Company="ACME", Year=2020 + n) for n in range(5)
    ]
    run_filing(app, db)
    assert path_of(db, documents[0]["id"]) == "Invoices/ACME/2020/Bill 0"
    template = "/home/By year/{{ document.cf['Year'] }}/{{ document.title }}"
    url = f"/api/document-types/{invoice_type['id']}"
    assert alice.client.patch(url, json={"path_template": template}).status_code == 200
    # Batches of 2: three tasks, each queueing the next.
    assert run_filing(app, db) == 3
    assert [path_of(db, d["id"]) for d in documents] == [
        f"By year/{2020 + n}/Bill {n}" for n in range(5)
    ]
    # The same template saved again: nothing to re-file.
    assert alice.client.patch(url, json={"path_template": template}).status_code == 200
    assert run_filing(app, db) == 0


# --- missing values and clashes ----------------------------------------------------------------


def test_the_has_all_cf_guard_chooses_the_fallback(app, db, alice):
    company = create_field(alice.client, "Company")
    year = create_field(alice.client, "Year", "int")
    template = (
        "{% if document.has_all_cf %}/home/Done/{{ document.cf.Company }}/"
        "{% else %}/home/Waiting/{% endif %}"
    )
    doc_type = create_type(alice.client, "T", [company["id"], year["id"]], path_template=template)
    document = invoice(alice, doc_type, "Bill", Company="ACME")
    run_filing(app, db)
    assert path_of(db, document["id"]) == "Waiting/Bill"
    set_values(alice, document["id"], {"Year": 2024})
    run_filing(app, db)
    assert path_of(db, document["id"]) == "Done/ACME/Bill"


def test_a_title_taken_gets_the_documents_stable_suffix(app, db, alice, invoice_type):
    first = invoice(alice, invoice_type, "a", Company="ACME", Year=2024)
    run_filing(app, db)
    with db.session() as session:
        folder_id = str(session.get_one(Node, uuid.UUID(first["id"])).parent_id)
    squatter = make_folder(alice, "Bill.pdf", folder_id)
    template = "/home/Invoices/{{ document.cf.Company }}/{{ document.cf.Year }}/Bill.pdf"
    url = f"/api/document-types/{invoice_type['id']}"
    assert alice.client.patch(url, json={"path_template": template}).status_code == 200
    second = invoice(alice, invoice_type, "b", Company="ACME", Year=2024)
    run_filing(app, db)
    first_suffix, second_suffix = (uuid.UUID(d["id"]).hex[:8] for d in (first, second))
    assert path_of(db, first["id"]) == f"Invoices/ACME/2024/Bill ({first_suffix}).pdf"
    assert path_of(db, second["id"]) == f"Invoices/ACME/2024/Bill ({second_suffix}).pdf"
    assert path_of(db, squatter["id"]) == "Invoices/ACME/2024/Bill.pdf"
    # Run again: each keeps its own suffix.
    assert alice.client.patch(url, json={"path_template": template + " "}).status_code == 200
    run_filing(app, db)
    assert path_of(db, second["id"]) == f"Invoices/ACME/2024/Bill ({second_suffix}).pdf"


# --- refused: the document stays, the reason is recorded ---------------------------------------


def refusals(db, document_id):
    with db.session() as session:
        entries = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "document.filing_refused",
                AuditEntry.node_id == uuid.UUID(document_id),
            )
        ).all()
        events = session.scalars(select(Event).where(Event.kind == "document.filing_refused")).all()
        mine = [e.payload["reason"] for e in events if e.payload["node_id"] == document_id]
        assert mine == [entry.details["reason"] for entry in entries]
        return [entry.details["reason"] for entry in entries]


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("/home/../../{{ document.title }}", "may not contain '..'"),
        ("/home/{{ '..' }}/x", "may not contain '..'"),
        ("/home/Invoices//{{ document.title }}", "empty segment"),
        ("{{ document.owner }}/x", "must start with /home/ or /inbox/"),
        ("/trash/{{ document.title }}", "must start with /home/ or /inbox/"),
        ("/home/{{ document.title * 10000 }}", "longer than"),
        (
            "{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}"
            "{% endfor %}{% endfor %}{% endfor %}",
            "took longer than",
        ),
        ("{{ ''['__class__'] }}", "unsafe"),
    ],
)
def test_a_hostile_template_leaves_the_document_where_it_was(app, db, alice, template, reason):
    doc_type = create_type(alice.client, "T", path_template=template)
    folder = make_folder(alice, "Here")
    document = make_document(alice, "Bill", folder["id"])
    set_type(alice, document["id"], doc_type["id"])
    nodes_before = count(db, Node)
    run_filing(app, db)
    assert path_of(db, document["id"]) == "Here/Bill"
    assert count(db, Node) == nodes_before
    [recorded] = refusals(db, document["id"])
    assert reason in recorded


def test_a_path_through_a_document_is_refused(app, db, alice):
    make_document(alice, "Taxes")
    doc_type = create_type(alice.client, "T", path_template="/home/Taxes/{{ document.title }}")
    document = make_document(alice, "Bill")
    set_type(alice, document["id"], doc_type["id"])
    run_filing(app, db)
    assert path_of(db, document["id"]) == "Bill"
    assert "is a document, not a folder" in refusals(db, document["id"])[0]


# --- permission edges --------------------------------------------------------------------------


def test_a_grantee_changing_values_files_into_the_owners_tree_not_theirs(
    app, db, alice, bob, invoice_type
):
    from quire.core.scopes import DOCUMENT_UPDATE_CUSTOM_FIELDS

    document = invoice(alice, invoice_type, "Bill", Company="ACME", Year=2023)
    run_filing(app, db)
    role = make_role(alice, "filer", VIEWER | {DOCUMENT_UPDATE_CUSTOM_FIELDS})
    assert share(alice, [document["id"]], [role], [bob.id]).status_code == 204
    assert set_values(bob, document["id"], {"Year": 2024}).status_code == 200
    run_filing(app, db)
    assert path_of(db, document["id"]) == "Invoices/ACME/2024/Bill"
    with db.session() as session:
        node = session.get_one(Node, uuid.UUID(document["id"]))
        root = ancestors(session, node, include_self=False)[0][0]
        assert str(root) == alice.home_id
        assert node.user_id == alice.id
    # bob's home got nothing.
    assert alice.client.get(f"/api/nodes/{bob.home_id}").status_code == 404
    assert bob.client.get(f"/api/nodes/{bob.home_id}").json()["items"] == []


def test_a_path_naming_another_users_home_is_refused(app, db, alice, bob):
    bob_folder = make_folder(bob, "Drop")
    template = "/home/../" + bob.user.username + "/Drop/{{ document.title }}"
    doc_type = create_type(alice.client, "T", path_template=template)
    document = make_document(alice, "Bill")
    set_type(alice, document["id"], doc_type["id"])
    run_filing(app, db)
    assert path_of(db, document["id"]) == "Bill"
    assert bob.client.get(f"/api/nodes/{bob_folder['id']}").json()["items"] == []
    assert refusals(db, document["id"])


# --- saving a template -------------------------------------------------------------------------


def test_a_template_is_checked_when_saved(db, alice, invoice_type, all_rows):
    before = all_rows()
    url = "/api/document-types/"
    syntax = alice.client.post(url, json={"name": "T", "path_template": "/home/{{ document.title"})
    assert syntax.status_code == 422
    [error] = syntax.json()["detail"]
    assert error["loc"] == ["body", "path_template"]
    assert error["line"] == 1
    unknown = alice.client.post(
        url, json={"name": "T", "path_template": "/home/\n{{ document.cf['Company'] }}"}
    )
    assert unknown.status_code == 422
    [error] = unknown.json()["detail"]
    assert (error["line"], error["column"]) == (2, 17)
    assert "unknown custom field 'Company'" in error["msg"]
    hostile = alice.client.post(
        url, json={"name": "T", "path_template": "{{ cycler.__init__.__globals__ }}"}
    )
    assert hostile.status_code == 422
    type_url = f"/api/document-types/{invoice_type['id']}"
    # Dropping a field its template uses is refused, as is a template naming one it lacks.
    dropped = alice.client.patch(type_url, json={"custom_field_ids": []})
    assert dropped.status_code == 422
    assert "unknown custom field" in dropped.json()["detail"][0]["msg"]
    bad = alice.client.patch(type_url, json={"path_template": "{{ document.cf.Total }}"})
    assert bad.status_code == 422
    assert all_rows() == before


def test_a_template_too_slow_for_one_document_is_not_run_for_the_rest_of_its_batch(app, db, alice):
    doc_type = create_type(alice.client, "T")
    documents = [make_document(alice, f"Bill {n}") for n in range(3)]
    for document in documents:
        set_type(alice, document["id"], doc_type["id"])
    slow = (
        "{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}"
        "{% endfor %}{% endfor %}{% endfor %}"
    )
    url = f"/api/document-types/{doc_type['id']}"
    assert alice.client.patch(url, json={"path_template": slow}).status_code == 200
    assert run_filing(app, db) == 1
    reasons = [refusals(db, document["id"]) for document in documents]
    assert [len(r) for r in reasons] == [1, 1, 1]
    assert sum("another document" in r[0] for r in reasons) == 2
    assert all("took longer than" in r[0] for r in reasons)
    assert [path_of(db, d["id"]) for d in documents] == ["Bill 0", "Bill 1", "Bill 2"]


def test_typed_in_bulk_every_document_is_filed(app, db, alice, invoice_type):
    documents = [make_document(alice, f"Bill {n}") for n in range(2)]
    response = alice.client.post(
        "/api/nodes/bulk/document-type",
        json={"node_ids": [d["id"] for d in documents], "document_type_id": invoice_type["id"]},
    )
    assert response.status_code == 200, response.text
    assert run_filing(app, db) == 2
    assert [path_of(db, d["id"]) for d in documents] == ["Unfiled/Bill 0", "Unfiled/Bill 1"]
    for n, document in enumerate(documents):
        set_values(alice, document["id"], {"Company": "ACME", "Year": 2020 + n})
    run_filing(app, db)
    assert [path_of(db, d["id"]) for d in documents] == [
        "Invoices/ACME/2020/Bill 0",
        "Invoices/ACME/2021/Bill 1",
    ]
    # A value cleared: back to Unfiled, never Invoices/ACME/Bill 0.
    set_values(alice, documents[0]["id"], {"Year": None})
    run_filing(app, db)
    assert path_of(db, documents[0]["id"]) == "Unfiled/Bill 0"


def test_a_groups_document_is_filed_in_the_groups_home_not_its_members(app, db, alice, bob):
    from tests.api.test_group_ownership import make_group

    staff = make_group(alice, "staff", [bob], with_special_folders=True)
    doc_type = create_type(bob.client, "Memo", path_template="/home/Memos/{{ document.owner }}/")
    document = make_document(bob, "memo", staff["inbox_folder_id"])
    set_type(bob, document["id"], doc_type["id"])
    run_filing(app, db)
    assert path_of(db, document["id"]) == "Memos/staff/memo"
    with db.session() as session:
        node = session.get_one(Node, uuid.UUID(document["id"]))
        assert str(ancestors(session, node, include_self=False)[0][0]) == staff["home_folder_id"]
        assert str(node.group_id) == staff["id"]
    assert bob.client.get(f"/api/nodes/{bob.home_id}").json()["items"] == []
