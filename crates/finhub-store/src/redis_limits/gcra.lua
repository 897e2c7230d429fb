-- One GCRA step over one or more keys, atomically: read each key's theoretical arrival time
-- (TAT, microseconds), decide, and book all of them or none. Several hub instances calling this
-- share the limits. (A request that counts against several limits — a session's and its
-- customer's — is one round trip, and a refusal by one limit spends nothing of the others.)
--
-- KEYS[i]      the counters
-- ARGV[1]      how long the caller agrees to wait for its slot, microseconds (0: now or refused)
-- ARGV[2]      the current time in microseconds, or "" to read this server's clock
-- ARGV[1+2i]   key i's interval between requests at the sustained rate, microseconds
-- ARGV[2+2i]   key i's tolerance (how far ahead of schedule a burst may run), microseconds
--
-- Returns {1, wait} when booked (start after `wait` µs: the latest of the keys' slots), {0,
-- retry} when refused (the next slot starts `retry` µs after the agreed wait). With several
-- keys and a wait, each key is booked from its own slot, so a joint wait is meant for wait 0.
local max_wait = tonumber(ARGV[1])
local now
if ARGV[2] == "" then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000000 + tonumber(time[2])
else
  now = tonumber(ARGV[2])
end

local next_tats = {}
local wait = 0
for i = 1, #KEYS do
  local interval = tonumber(ARGV[1 + 2 * i])
  local tolerance = tonumber(ARGV[2 + 2 * i])
  local tat = tonumber(redis.call('GET', KEYS[i])) or now
  if tat < now then
    tat = now
  end
  local start = tat - tolerance
  if start - now > wait then
    wait = start - now
  end
  next_tats[i] = tat + interval
end
if wait > max_wait then
  return {0, wait - max_wait}
end

for i = 1, #KEYS do
  -- A key lives until its bucket is full again, so idle keys cost nothing.
  local ttl_ms = math.ceil((next_tats[i] - now) / 1000) + 1
  redis.call('SET', KEYS[i], string.format('%d', next_tats[i]), 'PX', string.format('%d', ttl_ms))
end
return {1, wait}
