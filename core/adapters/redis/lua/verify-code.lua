--[[
  verify-code: check a code one requester offers. A right code is used up. Wrong tries are counted per
  requester and in total: a requester out of tries is refused, even with the right code, while the code
  stays good for everyone else (its owner included); past the total the code is void for all and the
  cooldown is lifted, so that its owner can ask for a new one at once.

  KEYS[1] code              (see store-code.lua)
  KEYS[2] resend cooldown
  ARGV[1] hash of the code offered
  ARGV[2] requester (the client's address)
  ARGV[3] wrong tries allowed per requester
  ARGV[4] wrong tries allowed in total

  Returns {1, 0} accepted; {0, left} wrong, with the requester's tries left; {-1, 0} no live code (never
  sent, expired, used or void); {-2, 0} wrong and now void for everyone; {-3, 0} the requester has no
  tries left on this code.
]]
local stored = redis.call('HGET', KEYS[1], 'h')
if not stored then return {-1, 0} end
local mine = 'a:' .. ARGV[2]
local allowed = tonumber(ARGV[3])
if tonumber(redis.call('HGET', KEYS[1], mine) or 0) >= allowed then return {-3, 0} end
if stored == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return {1, 0}
end
local tries = redis.call('HINCRBY', KEYS[1], mine, 1)
if redis.call('HINCRBY', KEYS[1], 'n', 1) >= tonumber(ARGV[4]) then
  redis.call('DEL', KEYS[1], KEYS[2])
  return {-2, 0}
end
if tries >= allowed then return {-3, 0} end
return {0, allowed - tries}
