--[[
  release: the last step of giving a unit back, once MySQL records its release (revoke.lua took the
  decision back first). The unit returns to the remaining stock, for the next person to arrive, and
  is announced on the gate channel: API processes that answer SOLD_OUT from memory stop
  (core/adapters/redis/sold-out-board.ts). Nothing is given back of an event whose meta names another
  server (run_id) than this one: Redis restarted or failed over since, and the restore counts the
  stock from MySQL.

  KEYS[1] revoked hash       ticket -> "person|reservedAtMs"
  KEYS[2] remaining stock    integer
  KEYS[3] event meta hash    {server, soldAt, ...}: soldAt dropped (the event is not sold out now)

  ARGV[1] ticket
  ARGV[2] the gate channel: "moved <eventId>" is published there when a unit is given back
  ARGV[3] the event id

  Returns:
     1  RELEASED     given back
     0  NOT_REVOKED  that ticket is not revoked (given back already, or never revoked), or the meta
                     names another server
]]
--! include event-state.lua
if redis.call('HGET', KEYS[3], 'server') ~= this_server() then return 0 end
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('INCR', KEYS[2])
redis.call('HDEL', KEYS[3], 'soldAt')
redis.call('PUBLISH', ARGV[2], 'moved ' .. ARGV[3])
return 1
