--[[
  load-event: put an event's settings from MySQL (the source of truth) into Redis. Stock already in
  Redis is kept, because decide.lua and set-stock.lua move it; it is rebuilt only when missing.

  KEYS[1] event meta hash    {state, opensAt, closesAt, total}
  KEYS[2] remaining stock    integer

  ARGV[1] state              draft | open | closed
  ARGV[2] opensAt            epoch ms, or "" for none
  ARGV[3] closesAt           epoch ms, or "" for none
  ARGV[4] total stock
  ARGV[5] winners recorded in MySQL (used only to rebuild a missing remaining stock), or "" to
          rebuild nothing: then a missing stock returns -1 and nothing is written, so the caller can
          restore the whole state (decisions, gate, tickets) from MySQL first (core/reconcile)

  Returns the remaining stock, or -1 (ARGV[5] = "" and the stock is missing).
]]
if ARGV[5] == '' and redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
redis.call('HSET', KEYS[1], 'state', ARGV[1])
if ARGV[2] == '' then redis.call('HDEL', KEYS[1], 'opensAt') else redis.call('HSET', KEYS[1], 'opensAt', ARGV[2]) end
if ARGV[3] == '' then redis.call('HDEL', KEYS[1], 'closesAt') else redis.call('HSET', KEYS[1], 'closesAt', ARGV[3]) end
if redis.call('HEXISTS', KEYS[1], 'total') == 0 then redis.call('HSET', KEYS[1], 'total', ARGV[4]) end
local remaining = redis.call('GET', KEYS[2])
if not remaining then
  local total = tonumber(redis.call('HGET', KEYS[1], 'total'))
  remaining = math.max(0, total - tonumber(ARGV[5]))
  redis.call('SET', KEYS[2], remaining)
end
return tonumber(remaining)
