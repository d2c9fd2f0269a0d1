--[[
  apply: the gate every application passes, in one round trip.
  A person who already applied gets the same answer again; otherwise the event must be open and have
  stock left, and the applicant gets the next ticket (their place in the order of arrival).

  KEYS[1] event meta hash    {state, opensAt, closesAt, total}
  KEYS[2] remaining stock    integer, decremented by decide.lua
  KEYS[3] applicants hash    email -> "ticket|appliedAtMs"
  KEYS[4] decisions hash     email -> "W|ticket|decidedAtMs" or "L|ticket|decidedAtMs"
  KEYS[5] ticket sequence    integer

  ARGV[1] email (normalised)
  ARGV[2] now, epoch ms

  Returns {code, ticket, appliedAtMs, decision, decidedAtMs}:
     1  NEW        a new ticket; the caller hands the application to Kafka
     2  PENDING    applied before, not decided yet
     3  DECIDED    applied before and decided; decision is "W" or "L"
    -1  NO_EVENT   the event is unknown to Redis
    -2  NOT_OPEN   the event is not open now
    -3  SOLD_OUT   no stock is left
]]
local email = ARGV[1]
local now = tonumber(ARGV[2])

local decided = redis.call('HGET', KEYS[4], email)
if decided then
  local status, ticket, at = string.match(decided, '^(%a)|(%d+)|(%d+)$')
  return {3, tonumber(ticket), 0, status, tonumber(at)}
end

local applied = redis.call('HGET', KEYS[3], email)
if applied then
  local ticket, at = string.match(applied, '^(%d+)|(%d+)$')
  return {2, tonumber(ticket), tonumber(at), '', 0}
end

local meta = redis.call('HMGET', KEYS[1], 'state', 'opensAt', 'closesAt')
if not meta[1] then return {-1, 0, 0, '', 0} end
local opensAt = tonumber(meta[2])
local closesAt = tonumber(meta[3])
if meta[1] ~= 'open' or (opensAt and now < opensAt) or (closesAt and now >= closesAt) then
  return {-2, 0, 0, '', 0}
end

local remaining = tonumber(redis.call('GET', KEYS[2]) or '0')
if remaining <= 0 then return {-3, 0, 0, '', 0} end

local ticket = redis.call('INCR', KEYS[5])
redis.call('HSET', KEYS[3], email, ticket .. '|' .. now)
return {1, ticket, now, '', 0}
