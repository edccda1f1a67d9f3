"""Measurements beside raw throughput: booking rate, commit-to-visible, HTTP caching, RSS.

All through the public API on 127.0.0.1 (SPEC §4, §5.2).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests

from bench.clients import Hold, booking_body, http, post
from bench.state import Slot


def percentile(values: list[float], q: float) -> float:
    """Return the ``q``-th percentile (0–100, nearest rank) of ``values``; 0.0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def booking_throughput(base: str, slots: list[Slot], seconds: float, concurrency: int = 8) -> dict:
    """Book distinct free slots from ``concurrency`` threads for ``seconds``.

    Returns:
        ``{bookings_per_s, created, statuses: {status: n}, p50_ms, p99_ms, concurrency,
        seconds}``; ``bookings_per_s`` counts only 201 answers over the measured time.
    """
    take, lock = iter(slots), threading.Lock()
    statuses, latencies = Counter(), []
    deadline = time.perf_counter() + seconds

    def worker():
        while time.perf_counter() < deadline:
            with lock:
                slot = next(take, None)
            if slot is None:
                return
            t = time.perf_counter()
            try:
                r = post(base, "/appointments", booking_body(slot), {"Idempotency-Key": str(uuid.uuid4())})
                status = r.status_code
            except requests.RequestException:
                status = "error"
            with lock:
                statuses[status] += 1
                latencies.append(time.perf_counter() - t)

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for _ in range(concurrency):
            pool.submit(worker)
    elapsed = time.perf_counter() - start
    return {
        "bookings_per_s": statuses[201] / elapsed,
        "created": statuses[201],
        "statuses": dict(statuses),
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "concurrency": concurrency,
        "seconds": elapsed,
    }


class _Poller(threading.Thread):
    """A widget polling one (day, employee) back to back, as its own client.

    It sends the version of its last full answer (``known_version`` or, for odd
    pollers, ``If-None-Match``), so an unchanged answer means "still as before".
    ``polls`` is a list of ``(sent, received, listed)`` with perf_counter times and
    whether ``time`` was in ``booked`` (or ``listed_as`` when given).
    """

    def __init__(self, base: str, slot: Slot, number: int, listed_as: str = "booked"):
        super().__init__(daemon=True)
        self.base, self.slot, self.number, self.listed_as = base, slot, number, listed_as
        self.stop_event = threading.Event()
        self.polls: list[tuple[float, float, bool]] = []
        self.errors = 0
        self.body = {
            "date": slot.day.isoformat(),
            "employee_id": slot.employee_id,
            "service_id": 1,
            "client_id": str(uuid.uuid4()),
        }

    def run(self) -> None:
        version, listed = None, False
        while not self.stop_event.is_set():
            body, headers = dict(self.body), {}
            if version and self.number % 2:
                headers["If-None-Match"] = f'"{version}"'
            elif version:
                body["known_version"] = version
            sent = time.perf_counter()
            try:
                r = post(self.base, "/heartbeat", body, headers)
            except requests.RequestException:
                self.errors += 1
                continue
            received = time.perf_counter()
            if r.status_code == 200 and r.json().get("changed") is not False:
                data = r.json()
                version, listed = data["version"], self.slot.time in data[self.listed_as]
            elif r.status_code not in (200, 304):
                self.errors += 1
                continue
            self.polls.append((sent, received, listed))

    def stop(self) -> None:
        self.stop_event.set()
        self.join(15)


def commit_to_visible(base: str, slots: list[Slot], samples: int, pollers: int = 4, max_wait: float = 10.0) -> dict:
    """Book ``samples`` slots while ``pollers`` widgets poll each slot's day back to back.

    For each booking, ``t0`` is when the request was sent and ``t1`` when its 201
    arrived. Per poller: *delay* is from ``t1`` to the answer of its first poll sent
    after ``t1`` that lists the slot as booked; *stale* counts its polls sent after
    ``t1`` that did not list it (SPEC §5.2: a committed booking shows at the next
    poll); *early* counts polls answered before ``t0`` that listed it (it must never
    show before its commit).

    Returns:
        ``{samples, pollers, delay_p50_ms, delay_max_ms, stale, early, never_seen,
        poll_p50_ms, errors, book_statuses}``.
    """
    delays, stale, early, never, errors, poll_times, statuses = [], 0, 0, 0, 0, [], Counter()
    for slot in slots[:samples]:
        threads = [_Poller(base, slot, k) for k in range(pollers)]
        for t in threads:
            t.start()
        time.sleep(0.3)  # every poller has a baseline answer before the booking
        t0 = time.perf_counter()
        r = post(base, "/appointments", booking_body(slot), {"Idempotency-Key": str(uuid.uuid4())})
        t1 = time.perf_counter()
        statuses[r.status_code] += 1
        deadline = t1 + max_wait
        while time.perf_counter() < deadline and not all(any(s >= t1 and ok for s, _, ok in t.polls) for t in threads):
            time.sleep(0.02)
        for t in threads:
            t.stop()
            errors += t.errors
            poll_times += [b - a for a, b, _ in t.polls]
            early += sum(1 for _, b, ok in t.polls if b < t0 and ok)
            after = [(b, ok) for a, b, ok in t.polls if a >= t1]
            stale += sum(1 for _, ok in after if not ok)
            first = next((b for b, ok in after if ok), None)
            if first is None:
                never += 1
            else:
                delays.append(first - t1)
    return {
        "samples": min(samples, len(slots)),
        "pollers": pollers,
        "delay_p50_ms": percentile(delays, 50) * 1000,
        "delay_max_ms": max(delays, default=0.0) * 1000,
        "stale": stale,
        "early": early,
        "never_seen": never,
        "poll_p50_ms": percentile(poll_times, 50) * 1000,
        "errors": errors,
        "book_statuses": dict(statuses),
    }


def rolled_back_booking(base: str, lock: Hold, watch_seconds: float = 1.5) -> dict:
    """Try to book a slot another client has locked (refused: 409), while two widgets poll
    its day; the refused booking must never show as booked (SPEC §5.2).

    Returns:
        ``{status, code, shown_booked, polls, shown_locked}``.
    """
    watchers = [_Poller(base, lock.slot, k) for k in range(2)]
    for w in watchers:
        w.start()
    time.sleep(0.3)
    r = post(base, "/appointments", booking_body(lock.slot, str(uuid.uuid4())), {"Idempotency-Key": str(uuid.uuid4())})
    time.sleep(watch_seconds)
    for w in watchers:
        w.stop()
    locked = (
        http()
        .post(base + "/api/v1/heartbeat", json={**watchers[0].body, "client_id": str(uuid.uuid4())}, timeout=10)
        .json()
    )
    code = r.json().get("error", {}).get("code") if r.status_code >= 400 else None
    return {
        "status": r.status_code,
        "code": code,
        "shown_booked": sum(ok for w in watchers for *_, ok in w.polls),
        "polls": sum(len(w.polls) for w in watchers),
        "shown_locked": lock.slot.time in locked.get("locked", []),
    }


def http_caching(base: str, body: dict) -> dict:
    """Probe SPEC §4's caching rules with one widget body.

    Returns:
        ``{full_status, etag, unchanged_status, unchanged_bytes, inm_status,
        inm_bytes, multi_status, multi_staff}``: the full answer's ``ETag``, the
        ``known_version`` answer's body size, the ``If-None-Match`` answer's status and
        body size, and a 20-staff ``employee_ids`` poll's status and staff count.
    """
    full = post(base, "/heartbeat", body)
    version = full.json().get("version", "")
    unchanged = post(base, "/heartbeat", {**body, "known_version": version})
    inm = post(base, "/heartbeat", body, {"If-None-Match": f'"{version}"'})
    multi_body = {k: v for k, v in body.items() if k not in ("employee_id", "selected_time")}
    multi = post(base, "/heartbeat", {**multi_body, "service_id": 1, "employee_ids": list(range(1, 21))})
    staff = multi.json().get("staff") if multi.status_code == 200 else None
    return {
        "full_status": full.status_code,
        "etag": full.headers.get("ETag"),
        "unchanged_status": unchanged.status_code,
        "unchanged_bytes": len(unchanged.content),
        "inm_status": inm.status_code,
        "inm_bytes": len(inm.content),
        "multi_status": multi.status_code,
        "multi_staff": len(staff) if isinstance(staff, list) else None,
    }
