--[[
  status: where one person stands in one event.

  KEYS[1] applicants hash    email -> "ticket|appliedAtMs"
  KEYS[2] decisions hash     email -> "W|ticket|decidedAtMs" or "L|ticket|decidedAtMs"
  ARGV[1] email

  Returns {state, ticket, atMs}: state "W" or "L" (decided; atMs = decidedAt), "P" (applied, pending;
  atMs = appliedAt) or "" (never applied, as far as Redis knows).
]]
local decided = redis.call('HGET', KEYS[2], ARGV[1])
if decided then
  local status, ticket, at = string.match(decided, '^(%a)|(%d+)|(%d+)$')
  return {status, tonumber(ticket), tonumber(at)}
end
local applied = redis.call('HGET', KEYS[1], ARGV[1])
if applied then
  local ticket, at = string.match(applied, '^(%d+)|(%d+)$')
  return {'P', tonumber(ticket), tonumber(at)}
end
return {'', 0, 0}
