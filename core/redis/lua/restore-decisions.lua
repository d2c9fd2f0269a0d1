--[[
  restore-decisions: put one chunk of the decisions MySQL holds (the source of truth) back into Redis,
  after Redis lost its data or when `terning reconcile --fix` repairs it. MySQL's decision replaces a
  different one in Redis; the applicant's gate entry is put back when missing. The stock is not
  touched here: restore-event.lua recounts it once every chunk is in.

  KEYS[1] decisions hash     email -> "W|ticket|decidedAtMs" or "L|ticket|decidedAtMs"
  KEYS[2] applicants hash    email -> "ticket|appliedAtMs"

  ARGV[1], ARGV[2], ...      groups of five: email, status ("W" or "L"), ticket, decidedAtMs, appliedAtMs

  Returns the number of decisions that were missing from Redis or differed there.
]]
local changed = 0
for i = 1, #ARGV, 5 do
  local email = ARGV[i]
  local decision = ARGV[i + 1] .. '|' .. ARGV[i + 2] .. '|' .. ARGV[i + 3]
  if redis.call('HGET', KEYS[1], email) ~= decision then
    redis.call('HSET', KEYS[1], email, decision)
    changed = changed + 1
  end
  redis.call('HSETNX', KEYS[2], email, ARGV[i + 2] .. '|' .. ARGV[i + 4])
end
return changed
