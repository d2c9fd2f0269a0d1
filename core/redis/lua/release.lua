--[[
  release: forget an application whose hand-off to Kafka failed, so no half-registered applicant is
  left behind. Only the caller's own ticket is removed: a later, successful application stays.

  KEYS[1] applicants hash    email -> "ticket|appliedAtMs"
  ARGV[1] email
  ARGV[2] ticket

  Returns 1 when removed, 0 when the entry was not the caller's (or is gone).
]]
local applied = redis.call('HGET', KEYS[1], ARGV[1])
if applied and string.match(applied, '^(%d+)|') == ARGV[2] then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return 1
end
return 0
