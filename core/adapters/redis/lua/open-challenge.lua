--[[
  open-challenge: a new sign-in challenge for a person, with its own code, if the send limits allow it.
  The limits are checked together and taken together: a send refused by one of them takes from none.

  KEYS[1] the person's sends from one network   {t, at: bucket.lua; c = ms the cooldown ends}
  KEYS[2] the network's sends, to anyone         {t, at}
  KEYS[3] every send, from anywhere (the budget that keeps the mail sender's reputation) {t, at}
  KEYS[4] the challenge                          {h = hash of its code, n = wrong tries with its id,
                                                  l = wrong tries without it}; expires with the code
  KEYS[5] the person's latest challenge          its id; expires with it
  ARGV[1] hash of the new code
  ARGV[2] the challenge's id
  ARGV[3] code lifetime, seconds
  ARGV[4] cooldown between two sends to the person from the network, seconds (0: none)
  ARGV[5] sends an hour to the person from one network (the bucket's capacity)
  ARGV[6] sends an hour from one network
  ARGV[7] sends a minute in all

  Returns {code, seconds}:
     0  OPENED         the challenge is open: mail its code
     1  COOLDOWN       a code went to the person from this network moments ago; seconds left
     2  PERSON_SPENT   the person's sends from this network are spent; seconds until one is back
     3  NETWORK_SPENT  the network's sends are spent; seconds until one is back
     4  ALL_SPENT      every send's budget is spent; seconds until one is back
]]
--! include bucket.lua
local now = now_ms()
local cooldown_ends = tonumber(redis.call('HGET', KEYS[1], 'c') or 0)
local OPENED, COOLDOWN, PERSON_SPENT, NETWORK_SPENT, ALL_SPENT = 0, 1, 2, 3, 4
if cooldown_ends > now then return {COOLDOWN, math.ceil((cooldown_ends - now) / 1000)} end
local HOUR, MINUTE = 3600000, 60000
local person_cap, network_cap, all_cap = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local person_level = bucket_level(KEYS[1], person_cap, HOUR, now)
local person_wait = bucket_wait(person_level, person_cap, HOUR)
if person_wait > 0 then return {PERSON_SPENT, person_wait} end
local network_level = bucket_level(KEYS[2], network_cap, HOUR, now)
local network_wait = bucket_wait(network_level, network_cap, HOUR)
if network_wait > 0 then return {NETWORK_SPENT, network_wait} end
local all_level = bucket_level(KEYS[3], all_cap, MINUTE, now)
local all_wait = bucket_wait(all_level, all_cap, MINUTE)
if all_wait > 0 then return {ALL_SPENT, all_wait} end

bucket_take(KEYS[1], person_level, person_cap, HOUR, now)
bucket_take(KEYS[2], network_level, network_cap, HOUR, now)
bucket_take(KEYS[3], all_level, all_cap, MINUTE, now)
local cooldown_ms = tonumber(ARGV[4]) * 1000
if cooldown_ms > 0 then
  redis.call('HSET', KEYS[1], 'c', now + cooldown_ms)
  if redis.call('PTTL', KEYS[1]) < cooldown_ms then redis.call('PEXPIRE', KEYS[1], cooldown_ms) end
end
redis.call('HSET', KEYS[4], 'h', ARGV[1], 'n', 0, 'l', 0)
redis.call('EXPIRE', KEYS[4], ARGV[3])
redis.call('SET', KEYS[5], ARGV[2], 'EX', ARGV[3])
return {OPENED, 0}
