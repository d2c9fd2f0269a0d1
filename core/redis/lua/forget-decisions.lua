--[[
  forget-decisions: drop decisions that Redis holds and MySQL never will (`terning reconcile --fix`:
  decided, but no message for them is left in Kafka to write them, e.g. dead-lettered after deciding).
  A decision is dropped only if it is still the one the caller saw; the stock is recounted afterwards
  by restore-event.lua.

  KEYS[1] decisions hash     email -> "W|ticket|decidedAtMs" or "L|ticket|decidedAtMs"
  KEYS[2] applicants hash    email -> "ticket|appliedAtMs"

  ARGV[1], ARGV[2], ...      email, the decision value seen, ...

  Returns the number of decisions dropped.
]]
local dropped = 0
for i = 1, #ARGV, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    redis.call('HDEL', KEYS[1], ARGV[i])
    redis.call('HDEL', KEYS[2], ARGV[i])
    dropped = dropped + 1
  end
end
return dropped
