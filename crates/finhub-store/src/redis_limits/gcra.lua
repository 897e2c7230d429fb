-- One GCRA step, atomically: read the key's theoretical arrival time (TAT, microseconds),
-- decide, and book. Several hub instances calling this share one limit.
--
-- KEYS[1]  the counter
-- ARGV[1]  interval between requests at the sustained rate, microseconds
-- ARGV[2]  tolerance (how far ahead of schedule a burst may run), microseconds
-- ARGV[3]  how long the caller agrees to wait for its slot, microseconds (0: now or refused)
-- ARGV[4]  the current time in microseconds, or "" to read this server's clock
--
-- Returns {1, wait} when booked (start after `wait` µs), {0, retry} when refused (the next
-- slot starts `retry` µs after the agreed wait).
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local now
if ARGV[4] == "" then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000000 + tonumber(time[2])
else
  now = tonumber(ARGV[4])
end

local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then
  tat = now
end
local start = tat - tolerance
if start < now then
  start = now
end
local wait = start - now
if wait > max_wait then
  return {0, wait - max_wait}
end

local next_tat = tat + interval
-- The key lives until the bucket is full again, so idle keys cost nothing.
local ttl_ms = math.ceil((next_tat - now) / 1000) + 1
redis.call('SET', KEYS[1], string.format('%d', next_tat), 'PX', string.format('%d', ttl_ms))
return {1, wait}
