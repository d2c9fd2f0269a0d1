--[[
  apply: the gate every application passes. The applies that reach an API process in the same turn
  of its event loop pass together, in one call and one round trip, in their order of arrival.
  A person who already applied gets the same answer again; otherwise the event must be open and have
  stock left, and the applicant gets the next ticket (their place in the order of arrival).

  KEYS[1] event meta hash    {state, opensAt, closesAt, total}
  KEYS[2] remaining stock    integer, decremented by decide.lua
  KEYS[3] applicants hash    email -> "ticket|appliedAtMs"
  KEYS[4] decisions hash     email -> "W|ticket|decidedAtMs" or "L|ticket|decidedAtMs"
  KEYS[5] ticket sequence    integer

  ARGV[1]    now, epoch ms
  ARGV[2..]  the applicants' emails (normalised), in order of arrival

  Returns, per email in order, five values {code, ticket, appliedAtMs, decision, decidedAtMs}:
     1  NEW        a new ticket; the caller hands the application to Kafka
     2  PENDING    applied before, not decided yet
     3  DECIDED    applied before and decided; decision is "W" or "L"
    -1  NO_EVENT   the event is unknown to Redis
    -2  NOT_OPEN   the event is not open now
    -3  SOLD_OUT   no stock is left
]]
local now = tonumber(ARGV[1])
local out = {}

-- Whether the event takes new applicants does not change during the call: apply.lua takes no stock
-- (decide.lua does). Read once, when the first new applicant needs it.
local gate
local function takes_new()
  if gate == nil then
    local meta = redis.call('HMGET', KEYS[1], 'state', 'opensAt', 'closesAt')
    if not meta[1] then
      gate = -1
    else
      local opensAt = tonumber(meta[2])
      local closesAt = tonumber(meta[3])
      if meta[1] ~= 'open' or (opensAt and now < opensAt) or (closesAt and now >= closesAt) then
        gate = -2
      elseif tonumber(redis.call('GET', KEYS[2]) or '0') <= 0 then
        gate = -3
      else
        gate = 1
      end
    end
  end
  return gate
end

local function push(code, ticket, appliedAt, decision, decidedAt)
  local n = #out
  out[n + 1] = code
  out[n + 2] = ticket
  out[n + 3] = appliedAt
  out[n + 4] = decision
  out[n + 5] = decidedAt
end

for i = 2, #ARGV do
  local email = ARGV[i]
  local decided = redis.call('HGET', KEYS[4], email)
  if decided then
    local status, ticket, at = string.match(decided, '^(%a)|(%d+)|(%d+)$')
    push(3, tonumber(ticket), 0, status, tonumber(at))
  else
    local applied = redis.call('HGET', KEYS[3], email)
    if applied then
      local ticket, at = string.match(applied, '^(%d+)|(%d+)$')
      push(2, tonumber(ticket), tonumber(at), '', 0)
    else
      local g = takes_new()
      if g ~= 1 then
        push(g, 0, 0, '', 0)
      else
        local ticket = redis.call('INCR', KEYS[5])
        redis.call('HSET', KEYS[3], email, ticket .. '|' .. now)
        push(1, ticket, now, '', 0)
      end
    end
  end
end
return out
