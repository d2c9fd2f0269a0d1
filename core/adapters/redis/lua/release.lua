--[[
  release: give back the unit of a reservation Kafka never took, so no unit is held by nobody. Called
  by the API when Kafka refused the decision, and by the sweeper for reservations that stayed
  unconfirmed past their timeout while the consumer group had no lag (provably not in Kafka). Only the
  caller's own ticket is released: a confirmed winner, or a later reservation, stays. A released unit is
  announced on the gate channel: API processes that answer SOLD_OUT from memory stop (core/adapters/redis/sold-out-board.ts).
  Nothing is released of an event whose meta names another server (run_id) than this one: Redis
  restarted or failed over since, and may have lost the reservation's confirmation; the restore judges it.

  KEYS[1] reserved hash      person -> "ticket|decidedAtMs"
  KEYS[2] decisions hash     person -> "W|ticket|decidedAtMs"
  KEYS[3] remaining stock    integer
  KEYS[4] event meta hash    {server, ...}

  ARGV[1] person
  ARGV[2] ticket
  ARGV[3] reserved at or before this epoch ms, or "" for any age
  ARGV[4] the gate channel: "moved <eventId>" is published there when a unit is released
  ARGV[5] the event id

  Returns 1 when released (the unit is back in the stock), 0 when not held as given.
]]
--! include event-state.lua
local server = this_server()
if redis.call('HGET', KEYS[4], 'server') ~= server then return 0 end
local reserved = redis.call('HGET', KEYS[1], ARGV[1])
if not reserved then return 0 end
local ticket, at = reservation_of(reserved)
if ticket ~= ARGV[2] then return 0 end
if ARGV[3] ~= '' and tonumber(at) > tonumber(ARGV[3]) then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('INCR', KEYS[3])
redis.call('PUBLISH', ARGV[4], 'moved ' .. ARGV[5])
return 1
