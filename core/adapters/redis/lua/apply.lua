--[[
  apply: the gate, and the decision. The applies that reach an API process in the same turn of its
  event loop pass together, in one call, in their order of arrival. Redis is the one order every API
  process shares, so the unit is taken here, at arrival: the first people to arrive while stock is left
  win, and everyone after gets SOLD_OUT at once. A winner's unit stays reserved until Kafka holds the
  decision (confirm.lua); if Kafka refuses it, release.lua gives it back.

  KEYS[1] event meta hash    {state, opensAt, closesAt, total, gen, soldAt: set to now when this call takes the last unit}
  KEYS[2] remaining stock    integer
  KEYS[3] reserved hash      person -> "ticket|decidedAtMs" (winners Kafka has not confirmed yet)
  KEYS[4] decisions hash     person -> "W|ticket|decidedAtMs"
  KEYS[5] ticket sequence    integer: one ticket per unit taken, the winner's place in the order
  KEYS[6] restoring marker   present while the event is rebuilt from MySQL (Redis lost its data)

  An event whose meta names another server (run_id) than this one is unknown here: its state was made
  on a Redis that restarted or failed over since, and may lack its last writes.

  ARGV[1]    now, epoch ms
  ARGV[2]    the gate channel: "sold <eventId>" is published there when this call takes the last unit
  ARGV[3]    the event id
  ARGV[4..]  the applicants (canonical persons), in order of arrival

  Returns, per person in order, three values {code, ticket, decidedAtMs}, then one more: the state's
  generation (meta.gen, 0 when none; finish-restore.lua), which the decisions carry to Kafka:
     1  NEW        won now; the caller hands the decision to Kafka, then confirms it
     2  RESEND     won before, but Kafka's hold on it was never confirmed: the caller sends it again
     3  DECIDED    won before, and Kafka holds it
    -1  NO_EVENT   the event is unknown to this Redis server (the caller loads it, or begins its restore)
    -2  NOT_OPEN   the event is not open now
    -3  SOLD_OUT   no stock is left
    -4  RESTORING  the event's state is being rebuilt from MySQL; come back in a moment
    -5  DRAFT      the event is a draft: hidden from participants, as if it did not exist
]]
--! include event-state.lua
local now = tonumber(ARGV[1])
local out = {}
local server = this_server()

-- Whether the event takes new applicants: read once, when the first newcomer needs it. Only the stock
-- moves during the call (this script takes it).
local gate
local gen = 0
local function open_now()
  if gate == nil then
    if redis.call('EXISTS', KEYS[6]) == 1 then
      gate = -4
    else
      local meta = redis.call('HMGET', KEYS[1], 'state', 'opensAt', 'closesAt', 'server', 'gen')
      gen = tonumber(meta[5] or '0')
      if not meta[1] or meta[4] ~= server then
        gate = -1
      else
        local opensAt = tonumber(meta[2])
        local closesAt = tonumber(meta[3])
        if meta[1] == 'draft' then
          gate = -5
        elseif meta[1] ~= 'open' or (opensAt and now < opensAt) or (closesAt and now >= closesAt) then
          gate = -2
        else
          gate = 1
        end
      end
    end
  end
  return gate
end

local remaining
for i = 4, #ARGV do
  local person = ARGV[i]
  local n = #out
  local decided = redis.call('HGET', KEYS[4], person)
  if decided and open_now() ~= -4 and open_now() ~= -1 then
    local ticket, at = decision_of(decided)
    out[n + 1] = redis.call('HEXISTS', KEYS[3], person) == 1 and 2 or 3
    out[n + 2] = tonumber(ticket)
    out[n + 3] = tonumber(at)
  else
    local g = open_now()
    if g == 1 then
      if remaining == nil then remaining = tonumber(redis.call('GET', KEYS[2]) or '0') end
      if remaining <= 0 then g = -3 end
    end
    if g ~= 1 then
      out[n + 1] = g
      out[n + 2] = 0
      out[n + 3] = 0
    else
      remaining = remaining - 1
      if redis.call('DECR', KEYS[2]) == 0 then
        -- The moment it sold, kept for the signed sold-out statement (core/adapters/redis/sold-out-board.ts).
        redis.call('HSET', KEYS[1], 'soldAt', now)
        redis.call('PUBLISH', ARGV[2], 'sold ' .. ARGV[3])
      end
      local ticket = redis.call('INCR', KEYS[5])
      redis.call('HSET', KEYS[4], person, decision(ticket, now))
      redis.call('HSET', KEYS[3], person, reservation(ticket, now))
      out[n + 1] = 1
      out[n + 2] = ticket
      out[n + 3] = now
    end
  end
end
out[#out + 1] = gen
return out
