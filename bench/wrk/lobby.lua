-- One wrk script for every benchmark step, driven by a plan file that
-- bench/run.py writes (one instruction per line, fields separated by tabs):
--
--   method<TAB>POST
--   header<TAB>Cookie<TAB>csrftoken=…; sessionid=…
--   path<TAB>/desk/log/?q=Zhang           (one or more; taken in turn)
--   body<TAB>full_name=Walk-in+{n}&phone=191{n8}&host={host}&…
--   variant<TAB>header:Cookie<TAB>…<TAB>host<TAB>…   (optional, taken in turn)
--
-- In the body, {n} becomes a number unique to the request across all threads
-- of this wrk run and {n8} its last eight digits (for a phone number), so every
-- POST is a new visitor. Each request also takes the next variant: its "header:" entries
-- replace those headers (one kiosk device's cookies, say) and its other
-- entries fill {placeholders} in the body. done() prints one line "BENCH_JSON {…}" with the latency
-- percentiles and a count of the response statuses.
--
-- Usage: wrk -t2 -c8 -d15s -s bench/wrk/lobby.lua http://127.0.0.1:8765 -- plan.tsv

local threads = {}
local thread_id = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("id", thread_id)
  table.insert(threads, thread)
end

local method, paths, headers, body_template = "GET", {}, {}, nil
local variants = {}
local counter, next_path, next_variant = 0, 1, 1
statuses = {}

function init(args)
  local file = assert(io.open(args[1], "r"), "plan file not found: " .. tostring(args[1]))
  for line in file:lines() do
    local fields = {}
    for field in (line .. "\t"):gmatch("([^\t]*)\t") do
      table.insert(fields, field)
    end
    local kind = fields[1]
    if kind == "method" then
      method = fields[2]
    elseif kind == "header" then
      headers[fields[2]] = fields[3]
    elseif kind == "path" then
      table.insert(paths, fields[2])
    elseif kind == "body" then
      body_template = fields[2]
    elseif kind == "variant" then
      local variant = {}
      for i = 2, #fields - 1, 2 do
        variant[fields[i]] = fields[i + 1]
      end
      table.insert(variants, variant)
    end
  end
  file:close()
  assert(#paths > 0, "the plan names no path")
  -- Threads start at different paths, so a short run still covers the list.
  next_path = ((id or 1) - 1) % #paths + 1
  if #variants > 0 then
    next_variant = math.floor(((id or 1) - 1) * #variants / 2) % #variants + 1
  end
end

function request()
  local path = paths[next_path]
  next_path = next_path % #paths + 1
  local body = nil
  local variant = variants[next_variant]
  if variant then
    next_variant = next_variant % #variants + 1
    for key, value in pairs(variant) do
      if key:sub(1, 7) == "header:" then
        headers[key:sub(8)] = value
      end
    end
  end
  if body_template then
    counter = counter + 1
    local n = string.format("%d%07d", id or 0, counter)
    local n8 = string.format("%08d", tonumber(n) % 100000000)
    body = body_template:gsub("{n}", n):gsub("{n8}", n8)
    body = body:gsub("{([%w_]+)}", function(key)
      return variant and variant[key] or ("{" .. key .. "}")
    end)
  end
  return wrk.format(method, path, headers, body)
end

function response(status, response_headers, response_body)
  statuses[status] = (statuses[status] or 0) + 1
end

local function encode(value)
  if type(value) == "table" then
    local parts = {}
    for key, item in pairs(value) do
      table.insert(parts, string.format("%q:%s", tostring(key), encode(item)))
    end
    return "{" .. table.concat(parts, ",") .. "}"
  elseif type(value) == "string" then
    return string.format("%q", value)
  end
  return tostring(value)
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses") or {}) do
      total[tostring(status)] = (total[tostring(status)] or 0) + count
    end
  end
  local result = {
    requests = summary.requests,
    duration_us = summary.duration,
    bytes = summary.bytes,
    errors = {
      connect = summary.errors.connect,
      read = summary.errors.read,
      write = summary.errors.write,
      timeout = summary.errors.timeout,
      status = summary.errors.status,
    },
    latency_us = {
      mean = latency.mean,
      max = latency.max,
      p50 = latency:percentile(50),
      p90 = latency:percentile(90),
      p95 = latency:percentile(95),
      p99 = latency:percentile(99),
    },
    statuses = total,
  }
  io.write("BENCH_JSON " .. encode(result) .. "\n")
end
