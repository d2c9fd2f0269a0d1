--[[
  verify-code: check a verification code against its stored hash. A right code is used up; every wrong
  one counts, and the code is void after the allowed number of wrong tries.

  KEYS[1] code hash          {h = hash of the code, a = wrong attempts so far}; expires with the code
  ARGV[1] hash of the code offered
  ARGV[2] wrong attempts allowed

  Returns {1, 0} accepted; {0, left} wrong with attempts left; {-1, 0} no live code (never sent,
  expired or used); {-2, 0} wrong and now void (too many attempts).
]]
local stored = redis.call('HGET', KEYS[1], 'h')
if not stored then return {-1, 0} end
if stored == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return {1, 0}
end
local attempts = redis.call('HINCRBY', KEYS[1], 'a', 1)
local allowed = tonumber(ARGV[2])
if attempts >= allowed then
  redis.call('DEL', KEYS[1])
  return {-2, 0}
end
return {0, allowed - attempts}
