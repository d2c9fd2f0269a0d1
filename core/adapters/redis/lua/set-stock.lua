--[[
  set-stock: change an event's total stock without overselling and without dropping a winner.
  The units already won stay won; the remaining stock becomes the new total minus them. The change is
  announced on the gate channel (core/adapters/redis/sold-out-board.ts): "sold" when nothing is left, else "moved".

  KEYS[1] event meta hash    {total, server, soldAt, ...}: soldAt dropped (a sale apply.lua did not end)
  KEYS[2] remaining stock    integer
  KEYS[3] decisions hash     every winner
  KEYS[4] revoked hash       units taken back and not yet given back: still taken

  The units taken are total - remaining, or the winners and revoked units held when there are more:
  a restore that found more winners in MySQL than the stock (an oversell, logged there) leaves the
  stock at 0, not below, and total - remaining would forget the winners above it.

  ARGV[1] new total stock (>= 0)
  ARGV[2] the gate channel
  ARGV[3] the event id

  Returns {code, ...}:
     1  SET            {1, total, remaining}: set
    -1  BELOW_WINNERS  {-1, winners}: the new total is below the winners; nothing is written
    -2  MISSING        {-2, 0}: the remaining stock is missing, or was kept by another server than this
                       one (meta names another run_id: Redis restarted or failed over since, and may
                       have lost winners): restore it from MySQL first, or the winners so far would be
                       forgotten
]]
--! include event-state.lua
local server = this_server()
local total = tonumber(redis.call('HGET', KEYS[1], 'total') or '0')
local remaining = redis.call('GET', KEYS[2])
if not remaining or redis.call('HGET', KEYS[1], 'server') ~= server then return {-2, 0} end
remaining = tonumber(remaining)
local winners = math.max(total - remaining, redis.call('HLEN', KEYS[3]) + redis.call('HLEN', KEYS[4]))
local wanted = tonumber(ARGV[1])
if wanted < winners then return {-1, winners} end
redis.call('HSET', KEYS[1], 'total', wanted)
redis.call('HDEL', KEYS[1], 'soldAt')
redis.call('SET', KEYS[2], wanted - winners)
redis.call('PUBLISH', ARGV[2], (wanted - winners > 0 and 'moved ' or 'sold ') .. ARGV[3])
return {1, wanted, wanted - winners}
