--[[
  confirm: Kafka acknowledged these decisions (acks=all), so their units are no longer only reserved.
  The API calls it before it answers 202 WON; a consumer that settled the record first has confirmed
  it already. A reservation that is gone (released as stale, or lost with Redis's data) is not
  confirmed: the API answers 503 and the person's retry decides again. Nor is anything of an event whose
  meta names another server (run_id) than this one: Redis restarted or failed over since the decision
  and may have lost it; the event is restored first.

  KEYS[1] reserved hash      person -> "ticket|decidedAtMs"
  KEYS[2] decisions hash     person -> "W|ticket|decidedAtMs"
  KEYS[3] event meta hash    {server, ...}

  ARGV[1], ARGV[2], ...      person, ticket, person, ticket, ...

  Returns one value per pair:
     1  CONFIRMED  confirmed, now or before
     0  NOT_HELD   not held: gone (stale, lost), revoked, another ticket, or the meta names another
                   server
]]
--! include event-state.lua
local server = this_server()
local here = redis.call('HGET', KEYS[3], 'server') == server
local out = {}
for i = 1, #ARGV, 2 do
  local person, ticket = ARGV[i], ARGV[i + 1]
  local held = 0
  local reserved = here and redis.call('HGET', KEYS[1], person)
  if reservation_of(reserved) == ticket then
    redis.call('HDEL', KEYS[1], person)
    held = 1
  elseif here then
    local decided = redis.call('HGET', KEYS[2], person)
    if decision_of(decided) == ticket then held = 1 end
  end
  out[#out + 1] = held
end
return out
