--[[
  store-code: the code to mail to an address, unless one was sent too recently. A code still pending is
  kept and mailed again, so a stranger asking for a code never takes away the one its owner holds; a new
  one is made only when none is pending.

  KEYS[1] code              {s = seed the code is derived from, h = hash of the code, n = wrong tries in
                            total, a:<requester> = wrong tries of one requester}; expires with the code
  KEYS[2] resend cooldown   exists while no code may be sent
  ARGV[1] seed of a new code
  ARGV[2] hash of the new code
  ARGV[3] code lifetime, seconds, counted again from every send (each email's code lives that long)
  ARGV[4] cooldown, seconds (0: none)
  ARGV[5] requester (the client's address): its own wrong tries start again, as a new code's would

  Returns {0, seed}: mail the code of this seed (the pending code's, or ARGV[1]); or {wait, ''}: the seconds
  left on the cooldown.
]]
-- PTTL, not TTL: TTL rounds to the nearest second and would end a cooldown half a second early.
local wait = redis.call('PTTL', KEYS[2])
if wait > 0 then return {math.ceil(wait / 1000), ''} end
local seed = redis.call('HGET', KEYS[1], 's')
if seed then
  redis.call('HDEL', KEYS[1], 'a:' .. ARGV[5])
else
  seed = ARGV[1]
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 's', seed, 'h', ARGV[2], 'n', 0)
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
if tonumber(ARGV[4]) > 0 then redis.call('SET', KEYS[2], 1, 'EX', ARGV[4]) end
return {0, seed}
