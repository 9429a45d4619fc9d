"""The notifications service: events pushed to browsers over a WebSocket (``/ws``).

``quire notify`` serves it in a process of its own (``app.py``), one of several behind the
load balancer, each hearing of committed events through Redis pub/sub; on the embedded default
the web app serves the same ``/ws`` itself, hearing of them from its own process
(``core.events.local_bus``). Either way the events are the table's rows (``core/events.py``):
a socket only carries them sooner than polling ``GET /api/events/`` would.

- ``wire.py``: the messages (``docs/events.md`` is their schema, version 1);
- ``identity.py``: who a socket's client is (session cookie, bearer header or ``?token=``);
- ``hub.py``: the connected clients by principal, and the fan-out of each event to those
  who may see its node (``core/event_reading.py``), with a sweep for lost announcements;
- ``endpoint.py``: one client's socket: replay after ``?after=``, live events, heartbeats, and
  the drop of a client too slow to keep up;
- ``buses.py``: where the hub hears of new events (Redis, or this process).

Depends on core only; the web app mounts ``endpoint.endpoint`` without core knowing it.
"""

from __future__ import annotations
