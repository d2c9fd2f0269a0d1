--[[
  revoke: the first step of giving a reservation's unit back (docs/decide-at-arrival.md). The decision
  is taken back while nobody was told it: only a reservation still unconfirmed, with the caller's
  ticket, is revoked. From here confirm.lua refuses it (no 202 can follow) and settle.lua voids any
  copy Kafka holds. The unit is not back in the stock yet: it waits in the revoked hash until MySQL
  records the release (a RELEASED row), so that a restore after Redis lost its data voids the record
  too; release.lua then gives it back. A unit revoked but not yet given back is counted as taken.
  Nothing is revoked of an event whose meta names another server (run_id) than this one.

  KEYS[1] reserved hash      person -> "ticket|reservedAtMs"
  KEYS[2] decisions hash     person -> "W|ticket|decidedAtMs"
  KEYS[3] revoked hash       ticket -> "person|reservedAtMs"
  KEYS[4] event meta hash    {server, ...}

  ARGV[1] person
  ARGV[2] ticket
  ARGV[3] reserved at or before this epoch ms, or "" for any age

  Returns:
     1  REVOKED    revoked: it waits for release.lua
     0  NOT_HELD   not held as given (confirmed, released, another ticket, reserved after ARGV[3]), or
                   the meta names another server
]]
--! include event-state.lua
if redis.call('HGET', KEYS[4], 'server') ~= this_server() then return 0 end
local ticket, at = reservation_of(redis.call('HGET', KEYS[1], ARGV[1]))
if ticket ~= ARGV[2] then return 0 end
if ARGV[3] ~= '' and tonumber(at) > tonumber(ARGV[3]) then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[3], ticket, revocation(ARGV[1], at))
return 1
