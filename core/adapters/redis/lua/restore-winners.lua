--[[
  restore-winners: put one chunk of MySQL's winners back into an event being restored (after the
  consumers persisted everything Kafka held when the loss was noticed). Written only while the marker
  is still the restore's own: a restore that was started over, or finished, is left alone.

  KEYS[1] decisions hash     person -> "W|ticket|decidedAtMs"
  KEYS[2] restoring marker

  ARGV[1] the marker this restore began with
  ARGV[2], ARGV[3], ARGV[4], ...   person, ticket, decidedAtMs, ... (WON rows)

  Returns the number of winners written (0 or more), or:
    -1  WRONG_MARKER  the marker is not the one given
]]
--! include event-state.lua
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return -1 end
local n = 0
for i = 2, #ARGV, 3 do
  redis.call('HSET', KEYS[1], ARGV[i], decision(ARGV[i + 1], ARGV[i + 2]))
  n = n + 1
end
return n
