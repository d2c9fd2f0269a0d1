--[[
  check-challenge: checks a code offered for one challenge. The try is counted before the codes are
  compared, in this one script: no burst of tries sent at once gets more than the budget. A right code
  ends the challenge (single use).

  A try names the challenge by its id (only the sign-in that opened it has it), or, from a client that
  sends no id (the original's), means the person's latest challenge: the two count apart (n and l), so
  tries without the id, which anyone can make, never spend the tries of the sign-in that holds the id.

  KEYS[1] the challenge               (see open-challenge.lua)
  KEYS[2] the person's latest challenge
  ARGV[1] hash of the code offered
  ARGV[2] 'n': the try names the challenge by its id; 'l': it means the latest, whose id is ARGV[4]
  ARGV[3] wrong tries allowed on this path
  ARGV[4] the challenge's id

  Returns {code, left}:
     1  ACCEPTED  the code is right; the challenge is used up
     0  WRONG     the code is wrong; left: the tries left on this path
    -1  MISSING   no such live challenge (never opened, expired, used, not the latest any more), or no
                  tries left on this path
]]
local ACCEPTED, WRONG, MISSING = 1, 0, -1
local stored = redis.call('HGET', KEYS[1], 'h')
if not stored then return {MISSING, 0} end
local path = ARGV[2]
if path == 'l' and redis.call('GET', KEYS[2]) ~= ARGV[4] then return {MISSING, 0} end
local allowed = tonumber(ARGV[3])
local tries = redis.call('HINCRBY', KEYS[1], path, 1)
if tries > allowed then return {MISSING, 0} end
if stored == ARGV[1] then
  redis.call('DEL', KEYS[1])
  if redis.call('GET', KEYS[2]) == ARGV[4] then redis.call('DEL', KEYS[2]) end
  return {ACCEPTED, 0}
end
return {WRONG, allowed - tries}
