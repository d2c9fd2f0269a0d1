--[[
  settle: a consumer read these decisions from Kafka; which of them are to be persisted. A decision is
  persisted when Redis holds it (same person, same ticket): its reservation is confirmed here, since
  Kafka holds it. One Redis no longer holds is void: its reservation was released (stale, or Kafka
  refused it), so no 202 was answered for it and its unit went back to the stock.

  KEYS[1] event meta hash    {server, ...}
  KEYS[2] reserved hash      person -> "ticket|decidedAtMs"
  KEYS[3] decisions hash     person -> "W|ticket|decidedAtMs"
  KEYS[4] restoring marker   JSON, present while the event is rebuilt from MySQL

  ARGV[1], ARGV[2], ...      person, ticket, person, ticket, ...

  Returns {code, ...}:
    -1  UNSETTLED  {-1, marker or ""}: the event's state is missing or being restored, or was made on
                   another server (its meta names another run_id: Redis restarted or failed over since,
                   and may have lost decisions Kafka holds): the caller decides by the marker's offsets,
                   or begins the restore, see docs/decide-at-arrival.md
     1  SETTLED    {1, v1, v2, ...}, one value per pair:
     1  PERSIST      Redis holds the decision: persist it
     0  VOID         the decisions hash does not hold it with this ticket (revoked, released): void it
]]
--! include event-state.lua
local server = this_server()
local marker = redis.call('GET', KEYS[4])
if marker or redis.call('HGET', KEYS[1], 'server') ~= server then return {-1, marker or ''} end
local out = {1}
for i = 1, #ARGV, 2 do
  local person, ticket = ARGV[i], ARGV[i + 1]
  local decided = redis.call('HGET', KEYS[3], person)
  if decision_of(decided) == ticket then
    local reserved = redis.call('HGET', KEYS[2], person)
    if reservation_of(reserved) == ticket then redis.call('HDEL', KEYS[2], person) end
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
