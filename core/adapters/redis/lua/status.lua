--[[
  status: where one person stands in one event.

  KEYS[1] reserved hash      person -> "ticket|decidedAtMs"
  KEYS[2] decisions hash     person -> "W|ticket|decidedAtMs"
  ARGV[1] person

  Returns {state, ticket, decidedAtMs}: state "W" (won, and Kafka holds it), "P" (won at arrival, but
  Kafka's hold on it is not confirmed yet: the API that took it died, or is still sending) or "" (no
  unit held, as far as Redis knows).
]]
--! include event-state.lua
local decided = redis.call('HGET', KEYS[2], ARGV[1])
if not decided then return {'', 0, 0} end
local ticket, at = decision_of(decided)
local state = redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 and 'P' or 'W'
return {state, tonumber(ticket), tonumber(at)}
