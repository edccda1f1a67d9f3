"""The Redis hold store (SPEC §2 production): atomic Lua check-and-set, TTL expiry.

Layout, per (employee, day), under one Cluster hash tag ``{e<employee>:<day>}`` so each
script touches a single slot:

* ``ae:{e7:2026-11-23}:h`` — hash ``client_id → "HH:MM|start_ms|end_ms|kind|expires_ms|first_ms"``
  (``first_ms``: when the client's hold life began, 0 when unbounded)
* ``ae:{e7:2026-11-23}:z`` — sorted set ``client_id`` scored by ``expires_ms``

and ``ae:c:{<client_id>}`` → ``"<employee>|<day>"``, where the client's one hold lives, and
``ae:life:{<client_id>}`` — hash ``{f: first_ms, x: last_expiry_ms}``, the client's bounded
hold life (``appointease.holds.base.hold_life``), expiring a cool-down after its last hold.
Expired entries are pruned by score inside each script (``ZRANGEBYSCORE``), so no
``KEYS``/``SCAN`` ever runs, and both keys carry a ``PEXPIREAT`` past their last hold.
Works on Redis 7.0 (no hash-field TTLs). Time is Redis ``TIME``, one clock for all hosts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime

import redis
from redis.cluster import RedisCluster
from redis.exceptions import RedisClusterException

from appointease.errors import RateLimited, SlotHeld, Unavailable
from appointease.holds.base import HoldInfo, HoldRequest, HoldStats, HoldStore

_PRUNE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
if #gone > 0 then
  redis.call('HDEL', KEYS[1], unpack(gone))
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
end
local function fields(v)
  local f = {}
  for x in string.gmatch(v, '[^|]+') do f[#f + 1] = x end
  return f
end
local function touch()
  local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
  if #last == 2 then
    local at = tonumber(last[2]) + 1000
    redis.call('PEXPIREAT', KEYS[1], at)
    redis.call('PEXPIREAT', KEYS[2], at)
  end
end
"""

# ARGV: client, time, start_ms, end_ms, kind, ttl_ms, first_ms, cap_ms (0 = none)
# → {1, expires_ms} or {0, 0} when held.
_ACQUIRE = (
    _PRUNE
    + """
local s, e = tonumber(ARGV[3]), tonumber(ARGV[4])
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if all[i] ~= ARGV[1] then
    local f = fields(all[i + 1])
    if tonumber(f[2]) < e and s < tonumber(f[3]) then return {0, 0} end
  end
end
local exp = now + tonumber(ARGV[6])
local cap = tonumber(ARGV[8])
if cap > 0 and exp > cap then exp = cap end
redis.call('HSET', KEYS[1], ARGV[1],
  ARGV[2] .. '|' .. ARGV[3] .. '|' .. ARGV[4] .. '|' .. ARGV[5] .. '|' .. exp .. '|' .. ARGV[7])
redis.call('ZADD', KEYS[2], exp, ARGV[1])
touch()
return {1, exp}
"""
)

# ARGV: renew_client ('' = none), renew_time, ttl_ms, max_life_ms (0 = none)
# → {now_ms, field, value, ...}. A renewal never passes first_ms + max_life_ms.
_SNAPSHOT = (
    _PRUNE
    + """
if ARGV[1] ~= '' then
  local v = redis.call('HGET', KEYS[1], ARGV[1])
  if v then
    local f = fields(v)
    if f[1] == ARGV[2] and f[4] == 'selection' then
      local exp = now + tonumber(ARGV[3])
      local first = tonumber(f[6] or '0')
      local life = tonumber(ARGV[4] or '0')
      if life > 0 and first > 0 and exp > first + life then exp = first + life end
      if exp > tonumber(f[5]) then
        redis.call('HSET', KEYS[1], ARGV[1],
          f[1] .. '|' .. f[2] .. '|' .. f[3] .. '|' .. f[4] .. '|' .. exp .. '|' .. (f[6] or '0'))
        redis.call('ZADD', KEYS[2], exp, ARGV[1])
        touch()
      end
    end
  end
end
local out = redis.call('HGETALL', KEYS[1])
table.insert(out, 1, now)
return out
"""
)

# ARGV: client, time ('' = any) → 1 removed / 0 none. Only the holder's own entry.
_RELEASE = """
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return 0 end
if ARGV[2] ~= '' and string.sub(v, 1, 5) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
"""


# Per-IP cap (SPEC §8), on its own key ``ae:ip:{<ip>}``: sorted set client → expiry ms.
# ARGV: client, cap, ttl_ms → {1, newly_added} or {0, earliest_expiry_ms}. A client already
# counted is renewed, never refused (its new hold replaces its old one).
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local exp = now + tonumber(ARGV[3])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], 'GT', exp, ARGV[1])
  redis.call('PEXPIREAT', KEYS[1], exp + 1000)
  return {1, 0}
end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, tonumber(first[2])}
end
redis.call('ZADD', KEYS[1], exp, ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], tonumber(last[2]) + 1000)
return {1, 1}
"""


# The client's hold life (``hold_life``) on its own key ``ae:life:{<client>}``, one slot.
# ARGV: ttl_ms, max_life_ms, cooldown_ms, bounded (1/0) → {1, first_ms, expires_ms, now_ms}
# or {0, 0, 0, now_ms} when the life is over and its cool-down runs. The key lives until a
# cool-down after the last expiry it was told of: its absence is a fresh life.
_LIFE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local first = tonumber(redis.call('HGET', KEYS[1], 'f') or now)
local last = tonumber(redis.call('HGET', KEYS[1], 'x') or 0)
local exp = now + tonumber(ARGV[1])
if ARGV[4] == '1' then
  local cap = first + tonumber(ARGV[2])
  if now >= cap then return {0, 0, 0, now} end
  if exp > cap then exp = cap end
end
if exp > last then last = exp end
redis.call('HSET', KEYS[1], 'f', first, 'x', last)
redis.call('PEXPIREAT', KEYS[1], last + tonumber(ARGV[3]))
return {1, first, exp, now}
"""

# A heartbeat renewed the client's selection: move the life's last expiry on (never past
# first + max life). ARGV: ttl_ms, max_life_ms, cooldown_ms. Nothing without a life.
_LIFE_RENEW = """
local first = redis.call('HGET', KEYS[1], 'f')
if not first then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local exp = math.min(now + tonumber(ARGV[1]), tonumber(first) + tonumber(ARGV[2]))
if exp > tonumber(redis.call('HGET', KEYS[1], 'x') or 0) then
  redis.call('HSET', KEYS[1], 'x', exp)
  redis.call('PEXPIREAT', KEYS[1], exp + tonumber(ARGV[3]))
end
return 1
"""


# The client's hold was released: its life's last expiry is now (the cool-down counts
# from here). ARGV: cooldown_ms. Nothing without a life.
_LIFE_END = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], 'x', now)
redis.call('PEXPIREAT', KEYS[1], now + tonumber(ARGV[1]))
return 1
"""


def _life_key(client_id: str) -> str:
    return f"ae:life:{{{client_id}}}"


def _ip_key(ip: str) -> str:
    return f"ae:ip:{{{ip}}}"


# The client → (employee, day, ip) pointer outlives any hold; a stale pointer is harmless.
_POINTER_TTL_MS = 3600 * 1000


def _ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def _dt(ms: int | str) -> datetime:
    return datetime.fromtimestamp(int(ms) / 1000, UTC)


def _keys(employee_id: int, day: date) -> list[str]:
    tag = f"{{e{employee_id}:{day.isoformat()}}}"
    return [f"ae:{tag}:h", f"ae:{tag}:z"]


# Global indexes for metrics (and the admin view): member "employee|day|client" scored by
# expiry, one sorted set per kind. They are bookkeeping, not
# the source of truth (that is the per-day hash), so they are updated beside the scripts.
_INDEX = {"selection": "ae:idx:selection", "lock": "ae:idx:lock"}


def _client_key(client_id: str) -> str:
    return f"ae:c:{{{client_id}}}"


def _parse(client_id: str, employee_id: int, day: date, value: str) -> HoldInfo:
    hhmm, start, end, kind, exp, *rest = value.split("|")
    first = _dt(rest[0]) if rest and rest[0] != "0" else None
    return HoldInfo(client_id, employee_id, day, hhmm, _dt(start), _dt(end), kind, _dt(exp), first)


def _parse_snapshot(out: list, employee_id: int, day: date) -> list[HoldInfo]:
    """Parse the snapshot script's ``[now_ms, field, value, …]`` answer."""
    return [_parse(out[i], employee_id, day, out[i + 1]) for i in range(1, len(out), 2)]


class RedisHoldStore(HoldStore, HoldStats):
    """Hold store on Redis ≥ 7.0, a single server or a Redis Cluster.

    Args:
        client: a ``redis.Redis`` or ``redis.cluster.RedisCluster`` with
            ``decode_responses=True`` and short socket timeouts.
        max_holds_per_ip: the per-IP cap (SPEC §8; 0 = none).
        max_life_seconds, cooldown_seconds: the bounded hold life (``hold_life``; 0 = no
            bound), kept per client on ``ae:life:{<client>}`` by one script, atomically.

    Every script touches keys of one hash tag only (one Cluster slot). Every method
    raises ``Unavailable`` when Redis cannot be reached (``redis.ConnectionError`` /
    ``redis.TimeoutError``), so a fallback can take over.
    """

    storage = "redis"

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
        self._life = client.register_script(_LIFE)
        self._life_renew = client.register_script(_LIFE_RENEW)
        self._life_end = client.register_script(_LIFE_END)
        self._cluster = isinstance(client, RedisCluster)
        self._acquire = client.register_script(_ACQUIRE)
        self._snapshot = client.register_script(_SNAPSHOT)
        self._release = client.register_script(_RELEASE)
        self._reserve = client.register_script(_RESERVE)

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
            self._reserve, keys=[_ip_key(req.ip)], args=[req.client_id, self.max_holds_per_ip, ttl_ms]
        )
        if not ok:
            wait = (int(value) - _ms(datetime.now(UTC))) / 1000
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
            keys=[_life_key(req.client_id)],
            args=[ttl_ms, self.max_life_seconds * 1000, self.cooldown_seconds * 1000, 1 if req.bounded else 0],
        )
        if not ok:
            raise SlotHeld()
        return int(first), int(exp) if req.bounded else 0, int(exp) - int(now)

    def acquire(self, req: HoldRequest) -> HoldInfo:
        keys = _keys(req.employee_id, req.day)
        first_ms, cap_ms, ttl_ms = self._take_life(req)
        capped = bool(self.max_holds_per_ip and req.ip)
        counted = self._reserve_ip(req, ttl_ms) if capped else False
        ok, exp = self._call(
            self._acquire,
            keys=keys,
            args=[req.client_id, req.time, _ms(req.start), _ms(req.end), req.kind, ttl_ms, first_ms, cap_ms],
        )
        if not ok:
            if counted:  # give the reservation back: the hold was never taken
                self._call(self._r.zrem, _ip_key(req.ip), req.client_id)
            raise SlotHeld()
        where = f"{req.employee_id}|{req.day.isoformat()}"
        pointer = f"{where}|{req.ip or ''}"
        old = self._call(self._r.set, _client_key(req.client_id), pointer, px=_POINTER_TTL_MS, get=True)
        previous = "|".join(old.split("|")[:2]) if old else None
        old_ip = old.split("|")[2] if old and old.count("|") == 2 else ""
        if old_ip and old_ip != (req.ip or ""):
            # The client's hold now counts elsewhere (or nowhere: a booking's own hold).
            self._call(self._r.zrem, _ip_key(old_ip), req.client_id)
        if previous and previous != where:
            emp, day = previous.split("|")
            self._call(self._release, keys=_keys(int(emp), date.fromisoformat(day)), args=[req.client_id, ""])
        members = [f"{w}|{req.client_id}" for w in {where, previous} if w]
        pipe = self._pipeline()
        for key in _INDEX.values():
            pipe.zrem(key, *members)
            pipe.zremrangebyscore(key, "-inf", _ms(datetime.now(UTC)))
        pipe.zadd(_INDEX[req.kind], {f"{where}|{req.client_id}": exp})
        self._call(pipe.execute)
        first = _dt(first_ms) if first_ms else None
        return HoldInfo(
            req.client_id, req.employee_id, req.day, req.time, req.start, req.end, req.kind, _dt(exp), first
        )

    def release(self, client_id: str, employee_id: int, day: date, time: str | None = None) -> bool:
        removed = bool(self._call(self._release, keys=_keys(employee_id, day), args=[client_id, time or ""]))
        if removed:
            member = f"{employee_id}|{day.isoformat()}|{client_id}"
            pointer = self._call(self._r.get, _client_key(client_id)) or ""
            ip = pointer.split("|")[2] if pointer.count("|") == 2 else ""
            pipe = self._pipeline()
            for key in _INDEX.values():
                pipe.zrem(key, member)
            if ip:
                pipe.zrem(_ip_key(ip), client_id)
            self._call(pipe.execute)
            if self.max_life_seconds > 0:
                self._call(self._life_end, keys=[_life_key(client_id)], args=[self.cooldown_seconds * 1000])
        return removed

    def holds(self, employee_id: int, day: date) -> list[HoldInfo]:
        out = self._call(self._snapshot, keys=_keys(employee_id, day), args=["", "", 0, 0])
        return _parse_snapshot(out, employee_id, day)

    def poll(
        self,
        employee_ids: Sequence[int],
        day: date,
        client_id: str,
        selected_time: str | None,
        ttl_seconds: int,
        ip: str | None = None,
    ) -> dict[int, list[HoldInfo]]:
        """Renew and read every (staff, day) in one pipelined round trip (one script per staff)."""
        life_ms = self.max_life_seconds * 1000
        args = [client_id, selected_time, ttl_seconds * 1000, life_ms] if selected_time else ["", "", 0, 0]
        pipe = self._pipeline()
        if self._cluster:
            # Cluster pipelines refuse scripts: one call per staff member, each to its slot's node.
            results = [self._call(self._snapshot, keys=_keys(e, day), args=args) for e in employee_ids]
        else:
            for employee_id in employee_ids:
                self._snapshot(keys=_keys(employee_id, day), args=args, client=pipe)
        if selected_time:
            # Keep the metrics index and the per-IP count in step with a renewed selection
            # (XX: only entries that exist; GT: never shorten a lock's count).
            expires = _ms(datetime.now(UTC)) + ttl_seconds * 1000
            members = {f"{e}|{day.isoformat()}|{client_id}": expires for e in employee_ids}
            pipe.zadd(_INDEX["selection"], members, xx=True)
            if ip and self.max_holds_per_ip:
                pipe.zadd(_ip_key(ip), {client_id: expires}, xx=True, gt=True)
            if life_ms > 0:
                # The life remembers how long the renewed selection may now live.
                life = {
                    "keys": [_life_key(client_id)],
                    "args": [ttl_seconds * 1000, life_ms, self.cooldown_seconds * 1000],
                }
                if self._cluster:
                    self._call(self._life_renew, **life)
                else:
                    self._life_renew(**life, client=pipe)
        if self._cluster:
            if selected_time:
                self._call(pipe.execute)
        else:
            results = self._call(pipe.execute)[: len(employee_ids)]
        return {e: _parse_snapshot(out, e, day) for e, out in zip(employee_ids, results, strict=True)}

    def count_active(self) -> dict[str, int]:
        now = _ms(datetime.now(UTC))
        pipe = self._pipeline()
        for key in _INDEX.values():
            pipe.zcount(key, f"({now}", "+inf")
        return dict(zip(_INDEX, self._call(pipe.execute), strict=True))

    def live_holds(self, limit: int = 200) -> list[HoldInfo]:
        # The per-kind indexes say where each live hold is; its details are in that day's hash.
        now = _ms(datetime.now(UTC))
        pipe = self._pipeline()
        for key in _INDEX.values():
            pipe.zrangebyscore(key, f"({now}", "+inf", start=0, num=limit, withscores=True)
        entries = sorted((e for found in self._call(pipe.execute) for e in found), key=lambda e: e[1])[:limit]
        where = [member.split("|", 2) for member, _ in entries]
        pipe = self._pipeline()
        for employee, day, client_id in where:
            pipe.hget(_keys(int(employee), date.fromisoformat(day))[0], client_id)
        out = []
        for (employee, day, client_id), value in zip(where, self._call(pipe.execute), strict=True):
            if value is not None:  # the index may trail the hash by a moment
                hold = _parse(client_id, int(employee), date.fromisoformat(day), value)
                if _ms(hold.expires_at) > now:
                    out.append(hold)
        return sorted(out, key=lambda h: h.expires_at)

    def ping(self) -> bool:
        try:
            return bool(self._r.ping())
        except (redis.ConnectionError, redis.TimeoutError):
            return False
