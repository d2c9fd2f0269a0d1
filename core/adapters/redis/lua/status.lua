--[[
  status: where one person stands in one event.

  KEYS[1] reserved hash      person -> "ticket|decidedAtMs"
  KEYS[2] decisions hash     person -> "W|ticket|decidedAtMs"
  KEYS[3] event meta hash    {server, ...}
  KEYS[4] restoring marker
  ARGV[1] person

  Returns {state, ticket, decidedAtMs}, the state one of:
    "W"  WON          won, and Kafka holds it
    "P"  UNCONFIRMED  won at arrival, but Kafka's hold on it is not confirmed yet: the API that took it
                      died, or is still sending
    ""   NONE         no unit held (ticket and decidedAtMs 0)
    "?"  UNSURE       Redis can't say: the event is being restored, its state is missing, or it was made
                      on another server, which may have lost the last decisions; a winner may be in
                      Kafka only
  A confirmed decision is answered whatever the server: it was confirmed after Kafka held it, and a
  restore keeps only MySQL's winners.
]]
--! include event-state.lua
local decided = redis.call('HGET', KEYS[2], ARGV[1])
local ticket, at = decision_of(decided)
local reserved = redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1
if ticket and not reserved then return {'W', tonumber(ticket), tonumber(at)} end
if redis.call('EXISTS', KEYS[4]) == 1 or redis.call('HGET', KEYS[3], 'server') ~= this_server() then return {'?', 0, 0} end
if ticket then return {'P', tonumber(ticket), tonumber(at)} end
return {'', 0, 0}
