--[[
  event-state: what the event scripts share, included where a script says `--! include event-state.lua`.
  The values an event's hashes hold are written and read here only:
    decisions hash   person -> "W|ticket|decidedAtMs"   every winner, confirmed or not
    reserved hash    person -> "ticket|reservedAtMs"    winners whose decision Kafka has not confirmed
    revoked hash     ticket -> "person|reservedAtMs"    units taken back from nobody-told reservations,
                                                        until MySQL records their release (revoke.lua)
  and the Redis server an event's state is whole on (meta.server = this_server()).
]]
-- run_id/master_replid: a new run_id on every restart, a new replication id on every promotion (and
-- when a primary without a backlog gains a replica); core/adapters/redis/server-identity.ts says why.
local function this_server()
  return string.match(redis.call('INFO', 'server'), 'run_id:(%x+)') .. '/' ..
    string.match(redis.call('INFO', 'replication'), 'master_replid:(%x+)')
end

local function decision(ticket, at)
  return 'W|' .. ticket .. '|' .. at
end

-- ticket and decidedAtMs as strings, or nil for no decision
local function decision_of(value)
  if not value then return nil end
  return string.match(value, '^W|(%d+)|(%d+)$')
end

local function reservation(ticket, at)
  return ticket .. '|' .. at
end

-- ticket and reservedAtMs as strings, or nil for no reservation
local function reservation_of(value)
  if not value then return nil end
  return string.match(value, '^(%d+)|(%d+)$')
end

local function revocation(person, at)
  return person .. '|' .. at
end
