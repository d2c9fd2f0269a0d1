--[[
  store-code: keep a new verification code's hash, unless one was sent too recently.

  KEYS[1] code hash          {h, a}; expires with the code
  KEYS[2] resend cooldown    exists while a new code may not be sent
  ARGV[1] hash of the code
  ARGV[2] code lifetime, seconds
  ARGV[3] cooldown, seconds (0: none)

  Returns 0 when stored (a previous code is replaced), or the seconds left on the cooldown.
]]
local wait = redis.call('TTL', KEYS[2])
if wait > 0 then return wait end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'h', ARGV[1], 'a', 0)
redis.call('EXPIRE', KEYS[1], ARGV[2])
if tonumber(ARGV[3]) > 0 then redis.call('SET', KEYS[2], 1, 'EX', ARGV[3]) end
return 0
