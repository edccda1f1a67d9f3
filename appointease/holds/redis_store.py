"""The Redis hold store (SPEC §2 production): atomic Lua check-and-set, TTL expiry.

Layout, per (employee, day), under one Cluster hash tag ``{e<employee>:<day>}`` so each
script touches a single slot:

* ``ae:{e7:2026-11-23}:h`` — hash ``client_id → "HH:MM|start_ms|end_ms|kind|expires_ms"``
* ``ae:{e7:2026-11-23}:z`` — sorted set ``client_id`` scored by ``expires_ms``

and ``ae:c:{<client_id>}`` → ``"<employee>|<day>"``, where the client's one hold lives.
Expired entries are pruned by score inside each script (``ZRANGEBYSCORE``), so no
``KEYS``/``SCAN`` ever runs, and both keys carry a ``PEXPIREAT`` past their last hold.
Works on Redis 7.0 (no hash-field TTLs). Time is Redis ``TIME``, one clock for all hosts.
"""
from __future__ import annotations

from datetime import UTC, date, datetime

import redis

from appointease.errors import SlotHeld, Unavailable
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

# ARGV: client, time, start_ms, end_ms, kind, ttl_ms → {1, expires_ms} or {0, 0} when held.
_ACQUIRE = _PRUNE + """
local s, e = tonumber(ARGV[3]), tonumber(ARGV[4])
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if all[i] ~= ARGV[1] then
    local f = fields(all[i + 1])
    if tonumber(f[2]) < e and s < tonumber(f[3]) then return {0, 0} end
  end
end
local exp = now + tonumber(ARGV[6])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '|' .. ARGV[3] .. '|' .. ARGV[4] .. '|' .. ARGV[5] .. '|' .. exp)
redis.call('ZADD', KEYS[2], exp, ARGV[1])
touch()
return {1, exp}
"""

# ARGV: renew_client ('' = none), renew_time, ttl_ms → {now_ms, field, value, ...}
_SNAPSHOT = _PRUNE + """
if ARGV[1] ~= '' then
  local v = redis.call('HGET', KEYS[1], ARGV[1])
  if v then
    local f = fields(v)
    if f[1] == ARGV[2] and f[4] == 'selection' then
      local exp = now + tonumber(ARGV[3])
      redis.call('HSET', KEYS[1], ARGV[1], f[1] .. '|' .. f[2] .. '|' .. f[3] .. '|' .. f[4] .. '|' .. exp)
      redis.call('ZADD', KEYS[2], exp, ARGV[1])
      touch()
    end
  end
end
local out = redis.call('HGETALL', KEYS[1])
table.insert(out, 1, now)
return out
"""

# ARGV: client, time ('' = any) → 1 removed / 0 none. Only the holder's own entry.
_RELEASE = """
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return 0 end
if ARGV[2] ~= '' and string.sub(v, 1, 5) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
"""


# The client → (employee, day) pointer outlives any hold; a stale pointer is harmless.
_POINTER_TTL_MS = 3600 * 1000


def _ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def _dt(ms: int | str) -> datetime:
    return datetime.fromtimestamp(int(ms) / 1000, UTC)


def _keys(employee_id: int, day: date) -> list[str]:
    tag = f"{{e{employee_id}:{day.isoformat()}}}"
    return [f"ae:{tag}:h", f"ae:{tag}:z"]


# Global indexes for metrics (and the admin view): member "employee|day|client" scored by
# expiry, one sorted set per kind; and poll times per client. They are bookkeeping, not
# the source of truth (that is the per-day hash), so they are updated beside the scripts.
_INDEX = {"selection": "ae:idx:selection", "lock": "ae:idx:lock"}
_POLLERS = "ae:pollers"


def _client_key(client_id: str) -> str:
    return f"ae:c:{{{client_id}}}"


def _parse(client_id: str, employee_id: int, day: date, value: str) -> HoldInfo:
    hhmm, start, end, kind, exp = value.split("|")
    return HoldInfo(client_id, employee_id, day, hhmm, _dt(start), _dt(end), kind, _dt(exp))


class RedisHoldStore(HoldStore, HoldStats):
    """Hold store on Redis ≥ 7.0.

    Args:
        client: a ``redis.Redis`` with ``decode_responses=True`` and short socket timeouts.

    Every method raises ``Unavailable`` when Redis cannot be reached
    (``redis.ConnectionError`` / ``redis.TimeoutError``), so a fallback can take over.
    """

    storage = "redis"

    def __init__(self, client: redis.Redis):
        self._r = client
        self._acquire = client.register_script(_ACQUIRE)
        self._snapshot = client.register_script(_SNAPSHOT)
        self._release = client.register_script(_RELEASE)

    @classmethod
    def from_url(cls, url: str) -> "RedisHoldStore":
        """Build a store from ``redis://…`` with 0.5 s socket timeouts (a down Redis fails fast)."""
        return cls(
            redis.Redis.from_url(
                url, decode_responses=True, socket_timeout=0.5, socket_connect_timeout=0.5, health_check_interval=15
            )
        )

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise Unavailable("The hold store (Redis) is unreachable.") from exc

    def acquire(self, req: HoldRequest) -> HoldInfo:
        keys = _keys(req.employee_id, req.day)
        ok, exp = self._call(
            self._acquire,
            keys=keys,
            args=[req.client_id, req.time, _ms(req.start), _ms(req.end), req.kind, req.ttl_seconds * 1000],
        )
        if not ok:
            raise SlotHeld()
        where = f"{req.employee_id}|{req.day.isoformat()}"
        previous = self._call(self._r.set, _client_key(req.client_id), where, px=_POINTER_TTL_MS, get=True)
        if previous and previous != where:
            emp, day = previous.split("|")
            self._call(self._release, keys=_keys(int(emp), date.fromisoformat(day)), args=[req.client_id, ""])
        members = [f"{w}|{req.client_id}" for w in {where, previous} if w]
        pipe = self._r.pipeline(transaction=False)
        for key in _INDEX.values():
            pipe.zrem(key, *members)
            pipe.zremrangebyscore(key, "-inf", _ms(datetime.now(UTC)))
        pipe.zadd(_INDEX[req.kind], {f"{where}|{req.client_id}": exp})
        self._call(pipe.execute)
        return HoldInfo(req.client_id, req.employee_id, req.day, req.time, req.start, req.end, req.kind, _dt(exp))

    def release(self, client_id: str, employee_id: int, day: date, time: str | None = None) -> bool:
        removed = bool(self._call(self._release, keys=_keys(employee_id, day), args=[client_id, time or ""]))
        if removed:
            member = f"{employee_id}|{day.isoformat()}|{client_id}"
            pipe = self._r.pipeline(transaction=False)
            for key in _INDEX.values():
                pipe.zrem(key, member)
            self._call(pipe.execute)
        return removed

    def holds(self, employee_id: int, day: date) -> list[HoldInfo]:
        return self._snapshot_pipeline(employee_id, day, None, None)

    def poll(self, employee_id: int, day: date, client_id: str, selected_time: str | None, ttl_seconds: int) -> list[HoldInfo]:
        renew = (client_id, selected_time, ttl_seconds) if selected_time else None
        return self._snapshot_pipeline(employee_id, day, renew, client_id)

    def _snapshot_pipeline(self, employee_id: int, day: date, renew, poller: str | None) -> list[HoldInfo]:
        """Run the snapshot script, the index's new expiry and the poll note in one round trip."""
        args = [renew[0], renew[1], renew[2] * 1000] if renew else ["", "", 0]
        if renew is None and poller is None:
            out = self._call(self._snapshot, keys=_keys(employee_id, day), args=args)
        else:
            now = _ms(datetime.now(UTC))
            pipe = self._r.pipeline(transaction=False)
            self._snapshot(keys=_keys(employee_id, day), args=args, client=pipe)
            if renew is not None:
                member = f"{employee_id}|{day.isoformat()}|{renew[0]}"
                pipe.zadd(_INDEX["selection"], {member: now + renew[2] * 1000}, xx=True)
            if poller is not None:
                pipe.zadd(_POLLERS, {poller: now})
                pipe.zremrangebyscore(_POLLERS, "-inf", now - 60_000)
            out = self._call(pipe.execute)[0]
        return [_parse(out[i], employee_id, day, out[i + 1]) for i in range(1, len(out), 2)]

    def count_active(self) -> dict[str, int]:
        now = _ms(datetime.now(UTC))
        pipe = self._r.pipeline(transaction=False)
        for key in _INDEX.values():
            pipe.zcount(key, f"({now}", "+inf")
        return dict(zip(_INDEX, self._call(pipe.execute)))

    def count_pollers(self, window_seconds: int = 15) -> int:
        now = _ms(datetime.now(UTC))
        return self._call(self._r.zcount, _POLLERS, now - window_seconds * 1000, "+inf")

    def ping(self) -> bool:
        try:
            return bool(self._r.ping())
        except (redis.ConnectionError, redis.TimeoutError):
            return False
