-- wrk script for bench/run.py: replays a list of pre-built requests and counts answers.
--
-- Usage: wrk -s bench/mix.lua <url> -- <data.lua>
-- <data.lua> returns { {method, path, {header = value, ...}, body_or_nil}, ... }
-- (written by bench/wrk.py). Each thread walks the list from its own offset.
-- done() prints one line "BENCH_JSON {...}" with the counts and latency percentiles (us).

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  local data = dofile(args[1])
  reqs = {}
  for i, r in ipairs(data) do
    reqs[i] = wrk.format(r[1], r[2], r[3], r[4])
  end
  n = #reqs
  pos = ((id - 1) * 7919) % n
  s200, s201, s304, s4xx, s5xx, sother = 0, 0, 0, 0, 0, 0
  unchanged, unchanged_bytes, unchanged_max = 0, 0, 0
  full, full_bytes, full_max = 0, 0, 0
end

function request()
  pos = pos % n + 1
  return reqs[pos]
end

function response(status, headers, body)
  local size = body and #body or 0
  if status == 200 then
    s200 = s200 + 1
    if size < 400 and string.find(body, '"changed":false', 1, true) then
      unchanged = unchanged + 1
      unchanged_bytes = unchanged_bytes + size
      if size > unchanged_max then unchanged_max = size end
    else
      full = full + 1
      full_bytes = full_bytes + size
      if size > full_max then full_max = size end
    end
  elseif status == 201 then s201 = s201 + 1
  elseif status == 304 then s304 = s304 + 1
  elseif status >= 400 and status < 500 then s4xx = s4xx + 1
  elseif status >= 500 then s5xx = s5xx + 1
  else sother = sother + 1 end
end

local KEYS = {"s200", "s201", "s304", "s4xx", "s5xx", "sother", "unchanged", "unchanged_bytes",
              "full", "full_bytes"}

function done(summary, latency, requests)
  local total = {}
  for _, k in ipairs(KEYS) do total[k] = 0 end
  local umax, fmax = 0, 0
  for _, t in ipairs(threads) do
    for _, k in ipairs(KEYS) do total[k] = total[k] + (t:get(k) or 0) end
    umax = math.max(umax, t:get("unchanged_max") or 0)
    fmax = math.max(fmax, t:get("full_max") or 0)
  end
  local e = summary.errors
  local parts = {
    string.format('"requests":%d', summary.requests),
    string.format('"duration_us":%d', summary.duration),
    string.format('"bytes":%d', summary.bytes),
    string.format('"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}',
                  e.connect, e.read, e.write, e.status, e.timeout),
    string.format('"p50_us":%d', latency:percentile(50)),
    string.format('"p90_us":%d', latency:percentile(90)),
    string.format('"p99_us":%d', latency:percentile(99)),
    string.format('"max_us":%d', latency.max),
    string.format('"unchanged_max":%d', umax),
    string.format('"full_max":%d', fmax),
  }
  for _, k in ipairs(KEYS) do table.insert(parts, string.format('"%s":%d', k, total[k])) end
  io.write("BENCH_JSON {" .. table.concat(parts, ",") .. "}\n")
end
