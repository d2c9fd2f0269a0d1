--[[
  set-stock: change an event's total stock without overselling and without dropping a winner.
  The units already won stay won; the remaining stock becomes the new total minus them.

  KEYS[1] event meta hash    {total, ...}
  KEYS[2] remaining stock    integer

  ARGV[1] new total stock (>= 0)

  Returns {1, total, remaining} when set, or {-1, winners} when the new total is below the winners.
]]
local total = tonumber(redis.call('HGET', KEYS[1], 'total') or '0')
local remaining = tonumber(redis.call('GET', KEYS[2]) or tostring(total))
local winners = total - remaining
local wanted = tonumber(ARGV[1])
if wanted < winners then return {-1, winners} end
redis.call('HSET', KEYS[1], 'total', wanted)
redis.call('SET', KEYS[2], wanted - winners)
return {1, wanted, wanted - winners}
