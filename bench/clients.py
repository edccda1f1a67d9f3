"""The benchmark's HTTP clients: seeded holds, the heartbeat mix for wrk, the trickle of writes.

Everything goes through the public API (SPEC §4) on 127.0.0.1, as widgets would.
"""

from __future__ import annotations

import json
import random
import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta

import requests

from bench.state import Slot, World
from bench.wrk import Request

API = "/api/v1"
_local = threading.local()


def http() -> requests.Session:
    """A ``requests.Session`` for the calling thread (sessions are not thread-safe)."""
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
    return _local.session


def post(base: str, path: str, body: dict, headers: dict | None = None) -> requests.Response:
    """POST ``body`` as JSON to ``base + /api/v1 + path`` (10 s timeout)."""
    return http().post(base + API + path, json=body, headers=headers or {}, timeout=10)


def slot_body(slot: Slot, client_id: str, service_id: int = 1) -> dict:
    """The body of ``/slots/select``, ``/slots/lock`` for ``slot``."""
    return {
        "date": slot.day.isoformat(),
        "time": slot.time,
        "employee_id": slot.employee_id,
        "service_id": service_id,
        "client_id": client_id,
    }


def booking_body(slot: Slot, client_id: str | None = None) -> dict:
    """The body of ``POST /appointments`` for a 30-minute service-1 booking of ``slot``."""
    body = {
        "service_id": 1,
        "employee_id": slot.employee_id,
        "date": slot.day.isoformat(),
        "time": slot.time,
        "name": "Bench Visitor",
        "email": "bench@example.com",
    }
    if client_id:
        body["client_id"] = client_id
    return body


def choose_pairs(world: World, count: int, rng: random.Random) -> list[tuple[date, int]]:
    """Pick ``count`` (day, employee) pairs to poll: 60 % in the next 14 days, as visitors book soon."""
    soon = [p for p in world.workdays if p[0] <= world.today + timedelta(days=14)]
    later = [p for p in world.workdays if p[0] > world.today + timedelta(days=14)]
    near = min(len(soon), int(count * 0.6))
    return rng.sample(soon, near) + rng.sample(later, min(len(later), count - near))


@dataclass(frozen=True)
class Hold:
    """A hold the benchmark took: its client, slot and kind (``selection`` or ``lock``)."""

    client_id: str
    slot: Slot
    kind: str


def take_holds(base: str, slots: list[Slot], selections: int, locks: int) -> tuple[list[Hold], int]:
    """Take ``selections`` selections and ``locks`` locks through the API, one client each.

    Slots that answer 409 are skipped. Returns ``(holds, slots used)``.

    Raises:
        RuntimeError: an answer other than 200/409, or not enough slots.
    """
    wanted = ["selection"] * selections + ["lock"] * locks
    path = {"selection": "/slots/select", "lock": "/slots/lock"}
    holds, used = [], 0
    with ThreadPoolExecutor(8) as pool:
        while len(holds) < len(wanted):
            batch = wanted[len(holds) :]
            if used + len(batch) > len(slots):
                raise RuntimeError("not enough free slots for the holds")
            todo = [(kind, slots[used + i], str(uuid.uuid4())) for i, kind in enumerate(batch)]
            used += len(batch)
            answers = pool.map(lambda t: post(base, path[t[0]], slot_body(t[1], t[2])), todo)
            for (kind, slot, cid), r in zip(todo, answers, strict=True):
                if r.status_code == 200:
                    holds.append(Hold(cid, slot, kind))
                elif r.status_code != 409:
                    raise RuntimeError(f"{path[kind]} answered {r.status_code}: {r.text[:300]}")
    return holds, used


def heartbeat_bodies(world: World, pairs: list, holds: list[Hold], count: int, rng: random.Random) -> list[dict]:
    """Heartbeat bodies of ``count`` widgets: every hold's client (selections renew with
    ``selected_time``) and visitors on random pairs with one of the employee's services."""
    bodies = []
    for h in holds:
        body = {
            "date": h.slot.day.isoformat(),
            "employee_id": h.slot.employee_id,
            "service_id": 1,
            "client_id": h.client_id,
        }
        if h.kind == "selection":
            body["selected_time"] = h.slot.time
        bodies.append(body)
    while len(bodies) < count:
        day, emp = rng.choice(pairs)
        bodies.append(
            {
                "date": day.isoformat(),
                "employee_id": emp,
                "service_id": rng.choice(world.staff_services[emp]),
                "client_id": str(uuid.uuid4()),
            }
        )
    rng.shuffle(bodies)
    return bodies


def current_versions(base: str, bodies: list[dict]) -> list[str]:
    """POST each body once (8 at a time) and return the ``version`` each answer carries.

    Raises:
        RuntimeError: a heartbeat did not answer 200.
    """

    def one(body):
        r = post(base, "/heartbeat", body)
        if r.status_code != 200:
            raise RuntimeError(f"heartbeat answered {r.status_code}: {r.text[:300]}")
        return r.json()["version"]

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, bodies))


def heartbeat_requests(bodies: list[dict], versions: list[str]) -> tuple[list[Request], Counter]:
    """Build wrk's heartbeat requests: half send no version, a quarter ``known_version`` in the
    body, a quarter ``If-None-Match: "<version>"`` (SPEC §4). Returns the requests and a
    count per kind (``plain``, ``known_version``, ``if_none_match``, ``renewal``)."""
    out, kinds = [], Counter()
    for i, (body, version) in enumerate(zip(bodies, versions, strict=True)):
        headers = {"Content-Type": "application/json"}
        body = dict(body)
        if i % 4 == 1:
            body["known_version"] = version
            kinds["known_version"] += 1
        elif i % 4 == 3:
            headers["If-None-Match"] = f'"{version}"'
            kinds["if_none_match"] += 1
        else:
            kinds["plain"] += 1
        kinds["renewal"] += "selected_time" in body
        out.append(Request("POST", API + "/heartbeat", headers, json.dumps(body, separators=(",", ":"))))
    return out, kinds


class Trickle(threading.Thread):
    """Selects, locks and books free slots in the background so versions really change.

    Four clients take turns; each walks select → lock → book on its next slot, one
    step every ``period`` seconds (about one booking every ``3 × period`` s).
    ``counts`` maps ``"select 200"``, ``"book 201"``, … to how often each happened.
    """

    def __init__(self, base: str, slots: list[Slot], period: float = 0.3):
        super().__init__(daemon=True, name="bench-trickle")
        self.base, self.slots, self.period = base, iter(slots), period
        self.stop_event = threading.Event()
        self.counts: Counter = Counter()

    def run(self) -> None:
        """Walk the slots until :meth:`stop` (or the slots run out)."""
        clients = [str(uuid.uuid4()) for _ in range(4)]
        for n, slot in enumerate(self.slots):
            cid = clients[n % len(clients)]
            for step, path in (("select", "/slots/select"), ("lock", "/slots/lock"), ("book", "/appointments")):
                if self.stop_event.wait(self.period):
                    return
                try:
                    if step == "book":
                        r = post(self.base, path, booking_body(slot, cid), {"Idempotency-Key": str(uuid.uuid4())})
                    else:
                        r = post(self.base, path, slot_body(slot, cid))
                    self.counts[f"{step} {r.status_code}"] += 1
                except requests.RequestException:
                    self.counts[f"{step} error"] += 1
                    break

    def stop(self) -> Counter:
        """Stop and wait (bounded, 15 s); return the counts."""
        self.stop_event.set()
        self.join(15)
        return self.counts
