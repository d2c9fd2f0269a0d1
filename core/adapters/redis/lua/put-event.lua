--[[
  put-event: put an event's settings from MySQL (the source of truth) into Redis. The stock is never
  rebuilt here from counts (decisions made by a lost Redis may still be on their way through Kafka):
  a missing stock is restored (begin-restore.lua), except for a new event, which has no decisions yet.
  So is one kept by another server than this one (meta names another run_id: Redis restarted or failed
  over since, and may have lost its last writes). A new event's meta names this server.
  The total is kept when present: set-stock.lua moves it. Settings written are announced on the gate
  channel ("moved": an event opened or closed may answer otherwise; core/adapters/redis/sold-out-board.ts).

  KEYS[1] event meta hash    {state, opensAt, closesAt, total, server}
  KEYS[2] remaining stock    integer
  KEYS[3] restoring marker

  ARGV[1] state              draft | open | closed
  ARGV[2] opensAt            epoch ms, or "" for none
  ARGV[3] closesAt           epoch ms, or "" for none
  ARGV[4] total stock
  ARGV[5] "new": the event was just created, its stock is the total; "": an existing event
  ARGV[6] the gate channel
  ARGV[7] the event id

  Returns the remaining stock (0 or more), or, with nothing written:
    -1  MISSING    the stock is missing or not this server's: restore it first
    -2  RESTORING  the event is being restored
]]
--! include event-state.lua
local server = this_server()
if redis.call('EXISTS', KEYS[3]) == 1 then return -2 end
local remaining = redis.call('GET', KEYS[2])
if ARGV[5] ~= 'new' and (not remaining or redis.call('HGET', KEYS[1], 'server') ~= server) then return -1 end
redis.call('HSET', KEYS[1], 'state', ARGV[1])
redis.call('PUBLISH', ARGV[6], 'moved ' .. ARGV[7])
if ARGV[2] == '' then redis.call('HDEL', KEYS[1], 'opensAt') else redis.call('HSET', KEYS[1], 'opensAt', ARGV[2]) end
if ARGV[3] == '' then redis.call('HDEL', KEYS[1], 'closesAt') else redis.call('HSET', KEYS[1], 'closesAt', ARGV[3]) end
if not remaining then
  redis.call('HSET', KEYS[1], 'total', ARGV[4], 'server', server)
  redis.call('SET', KEYS[2], ARGV[4])
  return tonumber(ARGV[4])
end
if redis.call('HEXISTS', KEYS[1], 'total') == 0 then redis.call('HSET', KEYS[1], 'total', ARGV[4]) end
return tonumber(remaining)
