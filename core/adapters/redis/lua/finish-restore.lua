--[[
  finish-restore: the last step of a restore, once restore-winners.lua put every winner MySQL holds
  back. Writes the settings from MySQL, the stock as total - winners, the ticket sequence at least the
  highest ticket MySQL knows (won or released: a ticket is never handed out twice), drops any
  reservation (none can be confirmed now: they were made by the lost Redis, and Kafka's copies were
  judged by the marker), names this server (run_id) as the one the event's state is whole on, and lifts
  the marker: the gate opens again, as the gate channel hears ("sold" when nothing is left, else
  "moved"; core/adapters/redis/sold-out-board.ts).

  KEYS[1] event meta hash    {state, opensAt, closesAt, total, server, gen}
  KEYS[2] remaining stock    integer
  KEYS[3] decisions hash     person -> "W|ticket|decidedAtMs"
  KEYS[4] reserved hash
  KEYS[5] ticket sequence    integer
  KEYS[6] restoring marker
  KEYS[7] revoked hash       dropped: the stock is counted from MySQL, where a release is recorded

  ARGV[1] the marker this restore began with
  ARGV[2] state              draft | open | closed
  ARGV[3] opensAt            epoch ms, or "" for none
  ARGV[4] closesAt           epoch ms, or "" for none
  ARGV[5] total stock
  ARGV[6] highest ticket in MySQL
  ARGV[7] the gate channel
  ARGV[8] the event id
  ARGV[9] the new state's generation, taken from MySQL for it (events.redis_generation): every
          decision it makes carries it (apply.lua)
  ARGV[10] how many winners (persons) restore-winners.lua wrote: the decisions hash must hold them all.
          Keys deleted since (an operator's DEL, an eviction) while the marker stayed would otherwise
          count fewer winners and put their units back on sale

  Returns {code, remaining, winners, tickets}:
     1  FINISHED      finished (tickets: the ticket sequence as left, the last ticket the lost Redis or
                      MySQL may have handed out; every ticket after it is new)
     0  WRONG_MARKER  {0, 0, 0, 0}: the marker is not the one given (started over, or finished by
                      another process)
    -1  INCOMPLETE    {-1, 0, winners, 0}: the decisions hash holds fewer winners than were written;
                      nothing is written, the marker stays: the caller writes them again
]]
--! include event-state.lua
if redis.call('GET', KEYS[6]) ~= ARGV[1] then return {0, 0, 0, 0} end
local winners = redis.call('HLEN', KEYS[3])
if winners < tonumber(ARGV[10]) then return {-1, 0, winners, 0} end
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'total', ARGV[5], 'server', this_server(), 'gen', ARGV[9])
if ARGV[3] == '' then redis.call('HDEL', KEYS[1], 'opensAt') else redis.call('HSET', KEYS[1], 'opensAt', ARGV[3]) end
if ARGV[4] == '' then redis.call('HDEL', KEYS[1], 'closesAt') else redis.call('HSET', KEYS[1], 'closesAt', ARGV[4]) end
local remaining = math.max(0, tonumber(ARGV[5]) - winners)
redis.call('SET', KEYS[2], remaining)
local tickets = tonumber(redis.call('GET', KEYS[5]) or '0')
if tonumber(ARGV[6]) > tickets then
  tickets = tonumber(ARGV[6])
  redis.call('SET', KEYS[5], ARGV[6])
end
redis.call('DEL', KEYS[4], KEYS[6], KEYS[7])
redis.call('PUBLISH', ARGV[7], (remaining > 0 and 'moved ' or 'sold ') .. ARGV[8])
return {1, remaining, winners, tickets}
