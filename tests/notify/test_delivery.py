"""Who gets which event, through real ``quire notify`` processes (tests/notify/conftest.py)."""

from __future__ import annotations

import time
from contextlib import ExitStack

from tests.helpers.nodes import make_folder
from tests.helpers.sharing import VIEWER, make_role, share
from tests.notify.conftest import next_event, token_of


def test_each_user_gets_only_their_own_events(node, alice, bob):
    with node.socket(token_of(alice)) as alice_socket, node.socket(token_of(bob)) as bob_socket:
        first = make_folder(alice, "Alice's")
        make_folder(bob, "Bob's")
        second = make_folder(alice, "Alice's second")

        heard = next_event(alice_socket)
        assert heard["kind"] == "node.created"
        assert heard["payload"]["node_id"] == first["id"]
        assert heard["payload"]["title"] == "Alice's"
        assert heard["payload"]["parent_id"] == alice.home_id
        # Bob's folder came between: Alice's next event is her own.
        assert next_event(alice_socket)["payload"]["node_id"] == second["id"]
        # And Bob's first is his, not Alice's.
        assert next_event(bob_socket)["payload"]["title"] == "Bob's"


def test_a_socket_event_is_the_polled_item(node, alice):
    with node.socket(token_of(alice)) as socket:
        make_folder(alice, "Polled")
        pushed = next_event(socket)
    polled = alice.client.get("/api/events/").json()
    assert pushed in polled
    assert pushed == polled[-1]


def test_shared_folder_events_reach_the_group_until_revoked(node, alice, bob, carol, dave):
    group = alice.client.post("/api/groups/", json={"name": "team"}).json()["id"]
    for member in (bob, carol):
        response = alice.client.patch(f"/api/users/{member.id}", json={"group_ids": [group]})
        assert response.status_code == 200
    folder = make_folder(alice, "Shared")
    viewer = make_role(alice, "viewer", VIEWER)
    assert share(alice, [folder["id"]], [viewer], group_ids=[group]).status_code == 204
    with ExitStack() as stack:
        accounts = {"bob": bob, "carol": carol, "dave": dave}
        sockets = {
            who: stack.enter_context(node.socket(token_of(account)))
            for who, account in accounts.items()
        }
        inside = make_folder(alice, "Inside", folder["id"])
        make_folder(dave, "Dave's own")
        for member in ("bob", "carol"):
            heard = next_event(sockets[member])
            assert (heard["kind"], heard["payload"]["node_id"]) == ("node.created", inside["id"])
        assert next_event(sockets["dave"])["payload"]["title"] == "Dave's own"
        # The polling endpoint says the same.
        assert inside["id"] in [
            e["payload"]["node_id"] for e in bob.client.get("/api/events/").json()
        ]

        # Revoked: nothing more of the folder reaches the group.
        body = {"node_ids": [folder["id"]], "user_ids": [], "group_ids": [group], "role_ids": []}
        assert alice.client.request("DELETE", "/api/shared-nodes", json=body).status_code == 204
        make_folder(alice, "After", folder["id"])
        make_folder(bob, "Bob's own")
        assert next_event(sockets["bob"])["payload"]["title"] == "Bob's own"
        polled = [e["payload"]["title"] for e in bob.client.get("/api/events/").json()]
        assert "After" not in polled
        assert "Inside" not in polled


def test_leaving_the_group_stops_its_events(node, alice, bob):
    group = alice.client.post("/api/groups/", json={"name": "leavers"}).json()["id"]
    alice.client.patch(f"/api/users/{bob.id}", json={"group_ids": [group]})
    folder = make_folder(alice, "Team")
    share(alice, [folder["id"]], [make_role(alice, "viewer", VIEWER)], group_ids=[group])
    with node.socket(token_of(bob)) as socket:
        make_folder(alice, "Seen", folder["id"])
        assert next_event(socket)["payload"]["title"] == "Seen"
        alice.client.patch(f"/api/users/{bob.id}", json={"group_ids": []})
        # A node re-reads its clients' groups every heartbeat (1 s here): so long at most.
        time.sleep(2.5)
        make_folder(alice, "Unseen", folder["id"])
        make_folder(bob, "Bob's")
        assert next_event(socket)["payload"]["title"] == "Bob's"


def test_two_notify_processes_both_deliver(nodes, alice):
    with nodes[0].socket(token_of(alice)) as one, nodes[1].socket(token_of(alice)) as two:
        made = make_folder(alice, "Everywhere")
        assert next_event(one) == next_event(two)
        assert made["id"] == alice.client.get("/api/events/").json()[-1]["payload"]["node_id"]


def test_reconnecting_with_the_last_id_replays_the_gap(node, alice):
    with node.socket(token_of(alice)) as socket:
        make_folder(alice, "Seen")
        last = next_event(socket)["id"]
    make_folder(alice, "Missed 1")
    make_folder(alice, "Missed 2")
    with node.socket(token_of(alice), after=last) as socket:
        replayed = [next_event(socket), next_event(socket)]
        assert [e["payload"]["title"] for e in replayed] == ["Missed 1", "Missed 2"]
        make_folder(alice, "Live")
        live = next_event(socket)
        assert live["payload"]["title"] == "Live"
        assert live["id"] > replayed[-1]["id"]


def test_heartbeats_come_while_nothing_happens(node, alice):
    with node.socket(token_of(alice)) as socket:
        # NOTIFY__HEARTBEAT_SECONDS is 1 here (25 by default).
        assert socket.recv(timeout=5) == '{"v": 1, "type": "ping"}'
