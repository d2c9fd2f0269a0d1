--[[
  confirm-decisions: after the decider wrote a chunk to MySQL, make sure Redis still holds its
  decisions. Normally it does and this is two GETs: the stock is there and the restore epoch is the one
  read before deciding.
  When Redis lost its data and was restored from MySQL while the chunk's write was in flight, the
  restore could not see the chunk: its decisions are put back and the units its winners took are
  taken from the recounted stock, so the stock stays total - winners.

  KEYS[1] restore epoch      string (missing: never restored since Redis started)
  KEYS[2] decisions hash     email -> "W|ticket|decidedAtMs" or "L|ticket|decidedAtMs"
  KEYS[3] remaining stock    integer

  ARGV[1] the epoch read before deciding ("" when missing)
  ARGV[2], ARGV[3], ...      email, decision value ("W|ticket|decidedAtMs"), ... as decided

  Returns the number of decisions put back (0 when the stock is there and the epoch did not change).
  With the stock missing (a restore has not finished), decisions are put back without touching it:
  restore-event.lua counts them.
]]
local stock = redis.call('GET', KEYS[3])
if stock and (redis.call('GET', KEYS[1]) or '') == ARGV[1] then return 0 end
local added = 0
for i = 2, #ARGV, 2 do
  if redis.call('HSETNX', KEYS[2], ARGV[i], ARGV[i + 1]) == 1 then
    added = added + 1
    -- With the stock missing, the next restore counts this decision from MySQL instead.
    if stock and string.byte(ARGV[i + 1], 1) == 87 then redis.call('DECR', KEYS[3]) end
  end
end
return added
