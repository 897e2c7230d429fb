-- GCRA steps over counters several hub instances share, atomically. One call carries one or
-- more admissions (those that arrived while the previous call was on its way) and decides them
-- in order, each exactly as if it had come alone: read each of its keys' theoretical arrival
-- time (TAT, microseconds), decide, and book all of its keys or none. (A request that counts
-- against several limits — a session's and its customer's — is one admission, and a refusal by
-- one limit spends nothing of the others.)
--
-- ARGV[1]   the current time in microseconds, or "" to read this server's clock
-- then, for each admission in turn:
--   how long the caller agrees to wait for its slot, microseconds (0: now or refused);
--   its number of keys n; and n pairs: a key's interval between requests at the sustained rate
--   and its tolerance (how far ahead of schedule a burst may run), microseconds.
-- KEYS      every admission's keys, in the same order.
--
-- Returns two numbers per admission, in order: 1 and the wait when booked (start after `wait`
-- µs: the latest of its keys' slots), 0 and the retry when refused (the next slot starts
-- `retry` µs after the agreed wait). With several keys and a wait, each key is booked from its
-- own slot, so a joint wait is meant for wait 0.
local now
if ARGV[1] == "" then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000000 + tonumber(time[2])
else
  now = tonumber(ARGV[1])
end

local answers = {}
local arg = 2
local first_key = 1
while arg <= #ARGV do
  local max_wait = tonumber(ARGV[arg])
  local count = tonumber(ARGV[arg + 1])
  arg = arg + 2
  local next_tats = {}
  local wait = 0
  for i = 1, count do
    local interval = tonumber(ARGV[arg])
    local tolerance = tonumber(ARGV[arg + 1])
    arg = arg + 2
    local tat = tonumber(redis.call('GET', KEYS[first_key + i - 1])) or now
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
    answers[#answers + 1] = 0
    answers[#answers + 1] = wait - max_wait
  else
    for i = 1, count do
      -- A key lives until its bucket is full again, so idle keys cost nothing.
      local ttl_ms = math.ceil((next_tats[i] - now) / 1000) + 1
      redis.call('SET', KEYS[first_key + i - 1], string.format('%d', next_tats[i]), 'PX',
        string.format('%d', ttl_ms))
    end
    answers[#answers + 1] = 1
    answers[#answers + 1] = wait
  end
  first_key = first_key + count
end
return answers
