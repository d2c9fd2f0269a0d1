--[[
  decide: the final word on a batch of applications, in order. Someone already decided keeps their
  decision (a redelivered message, a retry after a failed database write, a consumer killed before its
  commit); anyone else takes a unit of stock, or loses when none is left. A unit is taken at most once
  per person, ever.

  KEYS[1] remaining stock    integer; must exist (a missing key means Redis lost its state)
  KEYS[2] decisions hash     email -> "W|ticket|decidedAtMs" or "L|ticket|decidedAtMs"

  ARGV[1] now, epoch ms
  ARGV[2], ARGV[3], ...      email, ticket, email, ticket, ... in the order of arrival

  Returns -1 when the stock key is missing (nothing decided), else a flat list with one triple per
  input pair: status ("W" or "L"), ticket, decidedAtMs. A repeated person gets their first decision.
]]
local remaining = redis.call('GET', KEYS[1])
if not remaining then return -1 end
remaining = tonumber(remaining)

local now = ARGV[1]
local out = {}
for i = 2, #ARGV, 2 do
  local email = ARGV[i]
  local existing = redis.call('HGET', KEYS[2], email)
  if existing then
    local status, ticket, at = string.match(existing, '^(%a)|(%d+)|(%d+)$')
    out[#out + 1] = status
    out[#out + 1] = tonumber(ticket)
    out[#out + 1] = tonumber(at)
  else
    local status = 'L'
    if remaining > 0 then
      remaining = remaining - 1
      status = 'W'
    end
    redis.call('HSET', KEYS[2], email, status .. '|' .. ARGV[i + 1] .. '|' .. now)
    out[#out + 1] = status
    out[#out + 1] = tonumber(ARGV[i + 1])
    out[#out + 1] = tonumber(now)
  end
end
redis.call('SET', KEYS[1], remaining)
return out
