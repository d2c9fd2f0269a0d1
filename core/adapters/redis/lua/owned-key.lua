--[[
  owned-key: renew or drop a key only while it holds the caller's value: a restore's lease (one driver
  per event at a time), a restore's marker.

  KEYS[1] the key

  ARGV[1] the value the caller set
  ARGV[2] milliseconds to live from now, or 0 to delete it

  Returns:
     1  OWNED      renewed, or deleted
     0  NOT_OWNED  the key holds another value (or is gone)
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '0' then redis.call('DEL', KEYS[1]) else redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
