--[[
  restore-event: the last step of a restore from MySQL, once restore-decisions.lua has put every
  decision back. Writes the event's settings, recounts the remaining stock from the decisions Redis
  holds (total - winners: the units of decisions made but not yet written to MySQL stay taken), lifts
  the ticket sequence to at least the highest ticket known, and marks the restore with a new epoch so
  a decider whose write was in flight during the loss puts its decisions back (confirm-decisions.lua).

  KEYS[1] event meta hash    {state, opensAt, closesAt, total}
  KEYS[2] remaining stock    integer
  KEYS[3] decisions hash     email -> "W|ticket|decidedAtMs" or "L|ticket|decidedAtMs"
  KEYS[4] ticket sequence    integer
  KEYS[5] restore epoch      string, new on every restore

  ARGV[1] state              draft | open | closed
  ARGV[2] opensAt            epoch ms, or "" for none
  ARGV[3] closesAt           epoch ms, or "" for none
  ARGV[4] total stock        from MySQL
  ARGV[5] highest ticket known (MySQL's and any seen in Kafka)
  ARGV[6] epoch id of this restore
  ARGV[7] mode               "missing": only when the stock key is missing (another restore may have
                             finished first); "always": recount in any case (reconcile --fix)

  Returns {1, remaining, winners} when restored, {0, remaining, -1} when the stock was there already
  (mode "missing": someone else restored it and deciding may have gone on since).
]]
local current = redis.call('GET', KEYS[2])
if ARGV[7] == 'missing' and current then return {0, tonumber(current), -1} end

redis.call('HSET', KEYS[1], 'state', ARGV[1], 'total', ARGV[4])
if ARGV[2] == '' then redis.call('HDEL', KEYS[1], 'opensAt') else redis.call('HSET', KEYS[1], 'opensAt', ARGV[2]) end
if ARGV[3] == '' then redis.call('HDEL', KEYS[1], 'closesAt') else redis.call('HSET', KEYS[1], 'closesAt', ARGV[3]) end

local winners = 0
for _, v in ipairs(redis.call('HVALS', KEYS[3])) do
  if string.byte(v, 1) == 87 then winners = winners + 1 end -- 'W'
end
local remaining = math.max(0, tonumber(ARGV[4]) - winners)
redis.call('SET', KEYS[2], remaining)

local seq = tonumber(redis.call('GET', KEYS[4]) or '0')
if tonumber(ARGV[5]) > seq then redis.call('SET', KEYS[4], ARGV[5]) end
redis.call('SET', KEYS[5], ARGV[6])
return {1, remaining, winners}
