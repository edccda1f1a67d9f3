"""The Redis hold store's key layout, value format and Lua scripts (``RedisHoldStore``).

Layout, per (employee, day), under one Cluster hash tag ``{e<employee>:<day>}`` so each
script touches a single slot:

* ``ae:{e7:2026-11-23}:h`` — hash ``client_id → "HH:MM|start_ms|end_ms|kind|expires_ms|first_ms"``
  (``first_ms``: when the client's hold life began, 0 when unbounded)
* ``ae:{e7:2026-11-23}:z`` — sorted set ``client_id`` scored by ``expires_ms``

and ``ae:c:{<client_id>}`` → ``"<employee>|<day>|<ip>"``, where the client's one hold lives, and
``ae:life:{<client_id>}`` — hash ``{f: first_ms, x: last_expiry_ms}``, the client's bounded
hold life (``appointease.holds.base.hold_life``), expiring a cool-down after its last hold.
Expired entries are pruned by score inside each script (``ZRANGEBYSCORE``), so no
``KEYS``/``SCAN`` ever runs, and both keys carry a ``PEXPIREAT`` past their last hold.
Works on Redis 7.0 (no hash-field TTLs). Time is Redis ``TIME``, one clock for all hosts.

Two sets of scripts use this one layout. On one server ``ACQUIRE_ONE`` and ``POLL_ONE`` each
do a whole call atomically, across every key above (one server lets a script reach keys of
different tags). On a Redis Cluster, whose scripts may touch one slot only, the per-slot
scripts (``LIFE``, ``RESERVE``, ``ACQUIRE``, ``RELEASE``, ``SNAPSHOT``, ``LIFE_RENEW``) run
one after another (``RedisHoldStore._acquire_per_slot`` says what that guarantees).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from appointease.holds.base import HoldInfo

#: What ``HoldInfo.storage`` and ``PollResult.storage`` say of this store.
STORAGE = "redis"

_BASE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function fields(v)
  local f = {}
  for x in string.gmatch(v, '[^|]+') do f[#f + 1] = x end
  return f
end
local function prune(h, z)
  local gone = redis.call('ZRANGEBYSCORE', z, '-inf', now)
  if #gone > 0 then
    redis.call('HDEL', h, unpack(gone))
    redis.call('ZREMRANGEBYSCORE', z, '-inf', now)
  end
end
local function touch(h, z)
  local last = redis.call('ZRANGE', z, -1, -1, 'WITHSCORES')
  if #last == 2 then
    local at = tonumber(last[2]) + 1000
    redis.call('PEXPIREAT', h, at)
    redis.call('PEXPIREAT', z, at)
  end
end
local function expire_after_last(z)
  local last = redis.call('ZRANGE', z, -1, -1, 'WITHSCORES')
  if #last == 2 then redis.call('PEXPIREAT', z, tonumber(last[2]) + 1000) end
end
local function conflict(h, client, s, e)
  local all = redis.call('HGETALL', h)
  for i = 1, #all, 2 do
    if all[i] ~= client then
      local f = fields(all[i + 1])
      if tonumber(f[2]) < e and s < tonumber(f[3]) then return true end
    end
  end
  return false
end
-- Renew client's selection at hhmm on (h, z) to now + ttl (never past first + life, never
-- shorter); return the new expiry, or 0 when nothing was renewed.
local function renew(h, z, client, hhmm, ttl, life)
  if client == '' then return 0 end
  local v = redis.call('HGET', h, client)
  if not v then return 0 end
  local f = fields(v)
  if f[1] ~= hhmm or f[4] ~= 'selection' then return 0 end
  local exp = now + ttl
  local first = tonumber(f[6] or '0')
  if life > 0 and first > 0 and exp > first + life then exp = first + life end
  if exp <= tonumber(f[5]) then return 0 end
  redis.call('HSET', h, client, f[1] .. '|' .. f[2] .. '|' .. f[3] .. '|' .. f[4] .. '|' .. exp .. '|' .. (f[6] or '0'))
  redis.call('ZADD', z, exp, client)
  touch(h, z)
  return exp
end
"""

# ARGV: client, time, start_ms, end_ms, kind, ttl_ms, first_ms, cap_ms (0 = none)
# → {1, expires_ms} or {0, 0} when held.
ACQUIRE = (
    _BASE
    + """
prune(KEYS[1], KEYS[2])
if conflict(KEYS[1], ARGV[1], tonumber(ARGV[3]), tonumber(ARGV[4])) then return {0, 0} end
local exp = now + tonumber(ARGV[6])
local cap = tonumber(ARGV[8])
if cap > 0 and exp > cap then exp = cap end
redis.call('HSET', KEYS[1], ARGV[1],
  ARGV[2] .. '|' .. ARGV[3] .. '|' .. ARGV[4] .. '|' .. ARGV[5] .. '|' .. exp .. '|' .. ARGV[7])
redis.call('ZADD', KEYS[2], exp, ARGV[1])
touch(KEYS[1], KEYS[2])
return {1, exp}
"""
)

# ARGV: renew_client ('' = none), renew_time, ttl_ms, max_life_ms (0 = none)
# → {now_ms, field, value, ...}. A renewal never passes first_ms + max_life_ms.
SNAPSHOT = (
    _BASE
    + """
prune(KEYS[1], KEYS[2])
renew(KEYS[1], KEYS[2], ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4] or '0'))
local out = redis.call('HGETALL', KEYS[1])
table.insert(out, 1, now)
return out
"""
)

# ARGV: client, time ('' = any) → 1 removed / 0 none. Only the holder's own entry.
RELEASE = """
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
RESERVE = """
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
LIFE = """
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
LIFE_RENEW = """
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
LIFE_END = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], 'x', now)
redis.call('PEXPIREAT', KEYS[1], now + tonumber(ARGV[1]))
return 1
"""


# --- One server: each call is one script, so every rule below holds atomically ---------
# (Redis Cluster cannot run these: their keys span slots; ``RedisHoldStore`` runs the
# per-slot scripts above there.) The previous hold's day keys and the old IP's key are
# derived from the client's pointer inside the script (``day_keys``/``ip_key`` spelled in
# Lua), which one server allows.
_KEYS_LUA = """
local function dkeys(where)
  local emp, d = string.match(where, '^([^|]+)|([^|]+)')
  local tag = 'ae:{e' .. emp .. ':' .. d .. '}'
  return tag .. ':h', tag .. ':z'
end
"""

# KEYS: day hash, day zset, client pointer, client life, ip set, idx selection, idx lock.
# ARGV: 1 client, 2 time, 3 start_ms, 4 end_ms, 5 kind, 6 ttl_ms, 7 max_life_ms (0 = none),
# 8 cooldown_ms, 9 bounded (1/0), 10 ip ('' = none), 11 ip cap (0 = none), 12 "emp|day",
# 13 pointer ttl_ms → {1, expires_ms, first_ms} taken; {0, 'life', now} life over;
# {0, 'ip', now, earliest_ms} IP cap; {0, 'held', now} overlap. Refused: nothing written.
ACQUIRE_ONE = (
    _BASE
    + _KEYS_LUA
    + """
local client, where = ARGV[1], ARGV[12]
prune(KEYS[1], KEYS[2])
local exp = now + tonumber(ARGV[6])
local life, cool = tonumber(ARGV[7]), tonumber(ARGV[8])
local first, last = 0, 0
if life > 0 then
  first = tonumber(redis.call('HGET', KEYS[4], 'f') or now)
  last = tonumber(redis.call('HGET', KEYS[4], 'x') or 0)
  if ARGV[9] == '1' then
    if now >= first + life then return {0, 'life', now} end
    if exp > first + life then exp = first + life end
  end
end
local ip, ipcap = ARGV[10], tonumber(ARGV[11])
local capped = ip ~= '' and ipcap > 0
if capped then
  redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now)
  if not redis.call('ZSCORE', KEYS[5], client) and redis.call('ZCARD', KEYS[5]) >= ipcap then
    local soonest = redis.call('ZRANGE', KEYS[5], 0, 0, 'WITHSCORES')
    return {0, 'ip', now, tonumber(soonest[2])}
  end
end
if conflict(KEYS[1], client, tonumber(ARGV[3]), tonumber(ARGV[4])) then return {0, 'held', now} end
if life > 0 then
  if exp > last then last = exp end
  redis.call('HSET', KEYS[4], 'f', first, 'x', last)
  redis.call('PEXPIREAT', KEYS[4], last + cool)
end
if capped then
  redis.call('ZADD', KEYS[5], 'GT', exp, client)
  expire_after_last(KEYS[5])
end
redis.call('HSET', KEYS[1], client,
  ARGV[2] .. '|' .. ARGV[3] .. '|' .. ARGV[4] .. '|' .. ARGV[5] .. '|' .. exp .. '|' .. first)
redis.call('ZADD', KEYS[2], exp, client)
touch(KEYS[1], KEYS[2])
local old = redis.call('GET', KEYS[3])
redis.call('SET', KEYS[3], where .. '|' .. ip, 'PX', ARGV[13])
local members = {where .. '|' .. client}
if old then
  local prev, old_ip = string.match(old, '^([^|]+|[^|]+)|?(.*)$')
  if old_ip ~= '' and old_ip ~= ip then redis.call('ZREM', 'ae:ip:{' .. old_ip .. '}', client) end
  if prev ~= where then
    local h, z = dkeys(prev)
    redis.call('HDEL', h, client)
    redis.call('ZREM', z, client)
    members[2] = prev .. '|' .. client
  end
end
for _, idx in ipairs({KEYS[6], KEYS[7]}) do
  redis.call('ZREM', idx, unpack(members))
  redis.call('ZREMRANGEBYSCORE', idx, '-inf', now)
end
redis.call('ZADD', ARGV[5] == 'lock' and KEYS[7] or KEYS[6], exp, where .. '|' .. client)
return {1, exp, first}
"""
)

# KEYS: idx selection, client life, ip set, then (day hash, day zset) per staff member.
# ARGV: client ('' = renew nothing), time, ttl_ms, max_life_ms, cooldown_ms, ip ('' = none),
# ip cap, day, then the staff ids in KEYS order → {now_ms, {field, value, ...} per staff}.
# A renewed selection moves the metrics index, the IP's count and the life on with it.
POLL_ONE = (
    _BASE
    + """
local client, hhmm, ttl, life = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local out = {now}
for i = 4, #KEYS, 2 do
  prune(KEYS[i], KEYS[i + 1])
  local exp = renew(KEYS[i], KEYS[i + 1], client, hhmm, ttl, life)
  if exp > 0 then
    redis.call('ZADD', KEYS[1], 'XX', exp, ARGV[9 + (i - 4) / 2] .. '|' .. ARGV[8] .. '|' .. client)
    if ARGV[6] ~= '' and tonumber(ARGV[7]) > 0 then
      redis.call('ZADD', KEYS[3], 'XX', 'GT', exp, client)
      expire_after_last(KEYS[3])
    end
    if redis.call('HGET', KEYS[2], 'f') and exp > tonumber(redis.call('HGET', KEYS[2], 'x') or 0) then
      redis.call('HSET', KEYS[2], 'x', exp)
      redis.call('PEXPIREAT', KEYS[2], exp + tonumber(ARGV[5]))
    end
  end
  out[#out + 1] = redis.call('HGETALL', KEYS[i])
end
return out
"""
)


def day_keys(employee_id: int, day: date) -> list[str]:
    """Return ``[hash, sorted set]`` of (employee, day), both under its one hash tag."""
    tag = f"{{e{employee_id}:{day.isoformat()}}}"
    return [f"ae:{tag}:h", f"ae:{tag}:z"]


def client_key(client_id: str) -> str:
    """Return the key of the client's pointer ``"<employee>|<day>|<ip>"`` (where its one hold is)."""
    return f"ae:c:{{{client_id}}}"


def life_key(client_id: str) -> str:
    """Return the key of the client's hold life (``LIFE``)."""
    return f"ae:life:{{{client_id}}}"


def ip_key(ip: str) -> str:
    """Return the key of the per-IP hold count (``RESERVE``)."""
    return f"ae:ip:{{{ip}}}"


#: The client → (employee, day, ip) pointer outlives any hold; a stale pointer is harmless.
POINTER_TTL_MS = 3600 * 1000

#: Global indexes for metrics (and the admin view): member ``"employee|day|client"`` scored by
#: expiry, one sorted set per kind. They are bookkeeping, not the source of truth (that is the
#: per-day hash), so they are updated beside the scripts.
INDEX = {"selection": "ae:idx:selection", "lock": "ae:idx:lock"}


def ms(instant: datetime) -> int:
    """Return the aware ``instant`` as Unix milliseconds."""
    return int(instant.timestamp() * 1000)


def dt(millis: int | str) -> datetime:
    """Return Unix milliseconds (int or Redis text) as an aware UTC instant."""
    return datetime.fromtimestamp(int(millis) / 1000, UTC)


def parse(client_id: str, employee_id: int, day: date, value: str) -> HoldInfo:
    """Parse one hash value ``"HH:MM|start_ms|end_ms|kind|expires_ms[|first_ms]"`` as a ``HoldInfo``."""
    hhmm, start, end, kind, exp, *rest = value.split("|")
    first = dt(rest[0]) if rest and rest[0] != "0" else None
    return HoldInfo(client_id, employee_id, day, hhmm, dt(start), dt(end), kind, dt(exp), first, STORAGE)


def parse_snapshot(out: list, employee_id: int, day: date) -> list[HoldInfo]:
    """Parse the ``SNAPSHOT`` script's ``[now_ms, field, value, …]`` answer."""
    return [parse(out[i], employee_id, day, out[i + 1]) for i in range(1, len(out), 2)]
