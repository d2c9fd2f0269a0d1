--[[
  bucket: token buckets, included where a script says `--! include bucket.lua`. A bucket holds up to
  `capacity` sends and earns them back evenly, `capacity` per `window` ms: after a burst the next send
  waits window / capacity, not the rest of the window. Its hash: t = tokens left at `at`, at = when (ms,
  Redis's clock).
]]

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Tokens in the bucket now (refilled up to capacity).
local function bucket_level(key, capacity, window, now)
  local state = redis.call('HMGET', key, 't', 'at')
  if not state[1] then return capacity end
  local level = tonumber(state[1]) + (now - tonumber(state[2])) * capacity / window
  if level > capacity then return capacity end
  return level
end

-- Seconds until the bucket holds one token again (0: it holds one now).
local function bucket_wait(level, capacity, window)
  if level >= 1 then return 0 end
  return math.ceil((1 - level) * window / capacity / 1000)
end

-- Takes one token; the key lives until the bucket would be full again.
local function bucket_take(key, level, capacity, window, now)
  redis.call('HSET', key, 't', level - 1, 'at', now)
  redis.call('PEXPIRE', key, math.ceil((capacity - level + 1) * window / capacity) + 1000)
end
