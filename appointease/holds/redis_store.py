"""The Redis hold store (SPEC §2 production): atomic Lua check-and-set, TTL expiry.

The keys, the value format and the scripts are in ``appointease.holds.redis_layout``.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

import redis
from redis.cluster import RedisCluster
from redis.exceptions import RedisClusterException

from appointease.errors import RateLimited, SlotHeld, Unavailable
from appointease.holds.base import HoldInfo, HoldRequest, HoldStats, HoldStore, PollRequest, PollResult
from appointease.holds.redis_layout import (
    ACQUIRE,
    ACQUIRE_ONE,
    INDEX,
    LIFE,
    LIFE_END,
    LIFE_RENEW,
    POINTER_TTL_MS,
    POLL_ONE,
    RELEASE,
    RESERVE,
    SNAPSHOT,
    STORAGE,
    client_key,
    day_keys,
    dt,
    ip_key,
    life_key,
    ms,
    parse,
    parse_snapshot,
)


class RedisHoldStore(HoldStore, HoldStats):
    """Hold store on Redis ≥ 7.0, a single server or a Redis Cluster.

    Args:
        client: a ``redis.Redis`` or ``redis.cluster.RedisCluster`` with
            ``decode_responses=True`` and short socket timeouts.
        max_holds_per_ip: the per-IP cap (SPEC §8; 0 = none).
        max_life_seconds, cooldown_seconds: the bounded hold life (``hold_life``; 0 = no
            bound), kept per client on ``ae:life:{<client>}`` by one script, atomically.

    On one server an ``acquire`` and a ``poll`` are one ``EVALSHA`` each, atomic over every
    rule (the life, the per-IP cap, the overlap check, one hold per client). On a Cluster
    every script touches keys of one hash tag only (one slot): each rule is atomic on its
    own slot, and one hold per client is reached a step after the new hold is written
    (``_acquire_per_slot``); a poll is one ``EVALSHA`` per staff member. Every method
    raises ``Unavailable`` when Redis cannot be reached (``redis.ConnectionError`` /
    ``redis.TimeoutError``), so a fallback can take over.
    """

    storage = STORAGE

    def __init__(
        self,
        client: redis.Redis | RedisCluster,
        max_holds_per_ip: int = 0,
        *,
        max_life_seconds: int = 0,
        cooldown_seconds: int = 0,
    ):
        self._r = client
        self.max_holds_per_ip = max_holds_per_ip
        self.max_life_seconds = max_life_seconds
        self.cooldown_seconds = cooldown_seconds
        self._life = client.register_script(LIFE)
        self._life_renew = client.register_script(LIFE_RENEW)
        self._life_end = client.register_script(LIFE_END)
        self._cluster = isinstance(client, RedisCluster)
        self._acquire = client.register_script(ACQUIRE)
        self._snapshot = client.register_script(SNAPSHOT)
        self._release = client.register_script(RELEASE)
        self._reserve = client.register_script(RESERVE)
        self._acquire_one = client.register_script(ACQUIRE_ONE)
        self._poll_one = client.register_script(POLL_ONE)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        cluster: bool = False,
        max_holds_per_ip: int = 0,
        max_life_seconds: int = 0,
        cooldown_seconds: int = 0,
    ) -> RedisHoldStore:
        """Build a store from ``redis://…`` with 0.5 s socket timeouts (a down Redis fails fast).

        Args:
            cluster: connect with ``RedisCluster`` (``url`` names any one node; the rest
                are discovered), chosen by ``REDIS_CLUSTER=1``.
            max_life_seconds, cooldown_seconds: the bounded hold life (0 = none).
        """
        options = {"decode_responses": True, "socket_timeout": 0.5, "socket_connect_timeout": 0.5}
        life = {"max_life_seconds": max_life_seconds, "cooldown_seconds": cooldown_seconds}
        if cluster:
            return cls(RedisCluster.from_url(url, **options), max_holds_per_ip, **life)
        return cls(redis.Redis.from_url(url, health_check_interval=15, **options), max_holds_per_ip, **life)

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError, RedisClusterException) as exc:
            raise Unavailable("The hold store (Redis) is unreachable.") from exc

    def _pipeline(self):
        return self._r.pipeline(transaction=False)

    def _reserve_ip(self, req: HoldRequest, ttl_ms: int) -> bool:
        """Count the hold against ``req.ip`` atomically for ``ttl_ms``; return True when newly counted.

        Raises:
            RateLimited: the IP has the cap's worth of other live holds.
        """
        ok, value = self._call(
            self._reserve, keys=[ip_key(req.ip)], args=[req.client_id, self.max_holds_per_ip, ttl_ms]
        )
        if not ok:
            wait = (int(value) - ms(datetime.now(UTC))) / 1000
            raise RateLimited("Too many live holds from your network; try again shortly.", retry_after=math.ceil(wait))
        return bool(value)

    def _take_life(self, req: HoldRequest) -> tuple[int, int, int]:
        """Continue or start the client's hold life (``hold_life``), atomically on its key.

        Returns:
            ``(first_ms, cap_ms, ttl_ms)``: the life's start, the latest expiry of this hold
            (0: none) and its TTL after the cap; ``(0, 0, ttl)`` when lives are unbounded.

        Raises:
            SlotHeld: the life is over and its cool-down runs.
        """
        ttl_ms = req.ttl_seconds * 1000
        if self.max_life_seconds <= 0:
            return 0, 0, ttl_ms
        ok, first, exp, now = self._call(
            self._life,
            keys=[life_key(req.client_id)],
            args=[ttl_ms, self.max_life_seconds * 1000, self.cooldown_seconds * 1000, 1 if req.bounded else 0],
        )
        if not ok:
            raise SlotHeld()
        return int(first), int(exp) if req.bounded else 0, int(exp) - int(now)

    def acquire(self, req: HoldRequest) -> HoldInfo:
        """Take the hold (``HoldStore.acquire``): one ``EVALSHA`` on one server, where the life,
        the per-IP cap, the overlap check, the write and the release of the client's previous
        hold are one atomic step; on a Cluster, one script per slot (``_acquire_per_slot``)."""
        if self._cluster:
            return self._acquire_per_slot(req)
        where = f"{req.employee_id}|{req.day.isoformat()}"
        keys = [
            *day_keys(req.employee_id, req.day),
            client_key(req.client_id),
            life_key(req.client_id),
            ip_key(req.ip or ""),
            INDEX["selection"],
            INDEX["lock"],
        ]
        args = [
            req.client_id,
            req.time,
            ms(req.start),
            ms(req.end),
            req.kind,
            req.ttl_seconds * 1000,
            self.max_life_seconds * 1000,
            self.cooldown_seconds * 1000,
            1 if req.bounded else 0,
            req.ip or "",
            self.max_holds_per_ip,
            where,
            POINTER_TTL_MS,
        ]
        out = self._call(self._acquire_one, keys=keys, args=args)
        if not out[0]:
            if out[1] == "ip":
                wait = math.ceil((int(out[3]) - int(out[2])) / 1000)
                raise RateLimited("Too many live holds from your network; try again shortly.", retry_after=wait)
            raise SlotHeld()
        exp, first_ms = int(out[1]), int(out[2])
        first = dt(first_ms) if first_ms else None
        return HoldInfo(
            req.client_id, req.employee_id, req.day, req.time, req.start, req.end, req.kind, dt(exp), first, STORAGE
        )

    def _acquire_per_slot(self, req: HoldRequest) -> HoldInfo:
        """Take the hold on a Cluster, whose slots one script cannot span.

        Each step is atomic on its own slot, in this order: the life (``{client}``), the IP's
        count (``{ip}``, given back if the hold is refused), the overlap check and write
        (``{e<staff>:<day>}``), the pointer swap (``SET … GET`` on ``{client}``), then the release
        of the previous hold on its own slot. So between the write and that release a reader
        may see two holds of the client (several, while one client's acquires race), and once
        they settle at most one is left: each pointer swap releases the hold named before it
        (``tests/integration/test_redis_round_trips.py``). A process dying between the steps
        leaves the old hold until its TTL. Same (staff, day): replaced atomically (one field).
        """
        keys = day_keys(req.employee_id, req.day)
        first_ms, cap_ms, ttl_ms = self._take_life(req)
        capped = bool(self.max_holds_per_ip and req.ip)
        counted = self._reserve_ip(req, ttl_ms) if capped else False
        ok, exp = self._call(
            self._acquire,
            keys=keys,
            args=[req.client_id, req.time, ms(req.start), ms(req.end), req.kind, ttl_ms, first_ms, cap_ms],
        )
        if not ok:
            if counted:  # give the reservation back: the hold was never taken
                self._call(self._r.zrem, ip_key(req.ip), req.client_id)
            raise SlotHeld()
        where = f"{req.employee_id}|{req.day.isoformat()}"
        pointer = f"{where}|{req.ip or ''}"
        old = self._call(self._r.set, client_key(req.client_id), pointer, px=POINTER_TTL_MS, get=True)
        previous = "|".join(old.split("|")[:2]) if old else None
        old_ip = old.split("|")[2] if old and old.count("|") == 2 else ""
        if old_ip and old_ip != (req.ip or ""):
            # The client's hold now counts elsewhere (or nowhere: a booking's own hold).
            self._call(self._r.zrem, ip_key(old_ip), req.client_id)
        if previous and previous != where:
            emp, day = previous.split("|")
            self._call(self._release, keys=day_keys(int(emp), date.fromisoformat(day)), args=[req.client_id, ""])
        members = [f"{w}|{req.client_id}" for w in {where, previous} if w]
        pipe = self._pipeline()
        for key in INDEX.values():
            pipe.zrem(key, *members)
            pipe.zremrangebyscore(key, "-inf", ms(datetime.now(UTC)))
        pipe.zadd(INDEX[req.kind], {f"{where}|{req.client_id}": exp})
        self._call(pipe.execute)
        first = dt(first_ms) if first_ms else None
        return HoldInfo(
            req.client_id, req.employee_id, req.day, req.time, req.start, req.end, req.kind, dt(exp), first, STORAGE
        )

    def release(self, client_id: str, employee_id: int, day: date, time: str | None = None) -> bool:
        removed = bool(self._call(self._release, keys=day_keys(employee_id, day), args=[client_id, time or ""]))
        if removed:
            member = f"{employee_id}|{day.isoformat()}|{client_id}"
            pointer = self._call(self._r.get, client_key(client_id)) or ""
            ip = pointer.split("|")[2] if pointer.count("|") == 2 else ""
            pipe = self._pipeline()
            for key in INDEX.values():
                pipe.zrem(key, member)
            if ip:
                pipe.zrem(ip_key(ip), client_id)
            self._call(pipe.execute)
            if self.max_life_seconds > 0:
                self._call(self._life_end, keys=[life_key(client_id)], args=[self.cooldown_seconds * 1000])
        return removed

    def holds(self, employee_id: int, day: date) -> list[HoldInfo]:
        out = self._call(self._snapshot, keys=day_keys(employee_id, day), args=["", "", 0, 0])
        return parse_snapshot(out, employee_id, day)

    def poll(self, req: PollRequest) -> PollResult:
        """Renew and read every (staff, day): one ``EVALSHA`` on one server (the renewal, its
        index, IP count and life, and every staff member's holds, atomically); on a Cluster, one
        script per staff member (``_poll_per_slot``)."""
        if self._cluster:
            return self._poll_per_slot(req)
        day = req.day.isoformat()
        keys = [INDEX["selection"], life_key(req.client_id), ip_key(req.ip or "")]
        for employee_id in req.employee_ids:
            keys += day_keys(employee_id, req.day)
        renew = [req.client_id, req.selected_time, req.ttl_seconds * 1000] if req.selected_time else ["", "", 0]
        args = [*renew, self.max_life_seconds * 1000, self.cooldown_seconds * 1000, req.ip or ""]
        args += [self.max_holds_per_ip, day, *req.employee_ids]
        out = self._call(self._poll_one, keys=keys, args=args)
        holds = {
            e: parse_snapshot([out[0], *found], e, req.day) for e, found in zip(req.employee_ids, out[1:], strict=True)
        }
        return PollResult(holds, STORAGE)

    def _poll_per_slot(self, req: PollRequest) -> PollResult:
        """Serve a poll on a Cluster: one script per staff member, each to its slot's node (redis-py
        pipelines no scripts on a Cluster), then the renewed selection's index, IP count and life."""
        employee_ids, day, client_id, selected_time = req.employee_ids, req.day, req.client_id, req.selected_time
        ttl_seconds, ip = req.ttl_seconds, req.ip
        life_ms = self.max_life_seconds * 1000
        args = [client_id, selected_time, ttl_seconds * 1000, life_ms] if selected_time else ["", "", 0, 0]
        results = [self._call(self._snapshot, keys=day_keys(e, day), args=args) for e in employee_ids]
        if selected_time:
            # Keep the metrics index and the per-IP count in step with a renewed selection
            # (XX: only entries that exist; GT: never shorten a lock's count).
            expires = ms(datetime.now(UTC)) + ttl_seconds * 1000
            members = {f"{e}|{day.isoformat()}|{client_id}": expires for e in employee_ids}
            pipe = self._pipeline()
            pipe.zadd(INDEX["selection"], members, xx=True)
            if ip and self.max_holds_per_ip:
                pipe.zadd(ip_key(ip), {client_id: expires}, xx=True, gt=True)
            self._call(pipe.execute)
            if life_ms > 0:
                # The life remembers how long the renewed selection may now live.
                life_args = [ttl_seconds * 1000, life_ms, self.cooldown_seconds * 1000]
                self._call(self._life_renew, keys=[life_key(client_id)], args=life_args)
        holds = {e: parse_snapshot(out, e, day) for e, out in zip(employee_ids, results, strict=True)}
        return PollResult(holds, STORAGE)

    def count_active(self) -> dict[str, int]:
        now = ms(datetime.now(UTC))
        pipe = self._pipeline()
        for key in INDEX.values():
            pipe.zcount(key, f"({now}", "+inf")
        return dict(zip(INDEX, self._call(pipe.execute), strict=True))

    def live_holds(self, limit: int = 200) -> list[HoldInfo]:
        # The per-kind indexes say where each live hold is; its details are in that day's hash.
        now = ms(datetime.now(UTC))
        pipe = self._pipeline()
        for key in INDEX.values():
            pipe.zrangebyscore(key, f"({now}", "+inf", start=0, num=limit, withscores=True)
        entries = sorted((e for found in self._call(pipe.execute) for e in found), key=lambda e: e[1])[:limit]
        where = [member.split("|", 2) for member, _ in entries]
        pipe = self._pipeline()
        for employee, day, client_id in where:
            pipe.hget(day_keys(int(employee), date.fromisoformat(day))[0], client_id)
        out = []
        for (employee, day, client_id), value in zip(where, self._call(pipe.execute), strict=True):
            if value is not None:  # the index may trail the hash by a moment
                hold = parse(client_id, int(employee), date.fromisoformat(day), value)
                if ms(hold.expires_at) > now:
                    out.append(hold)
        return sorted(out, key=lambda h: h.expires_at)

    def ping(self) -> bool:
        try:
            return bool(self._r.ping())
        except (redis.ConnectionError, redis.TimeoutError):
            return False
