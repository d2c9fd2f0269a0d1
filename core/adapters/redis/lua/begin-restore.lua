--[[
  begin-restore: mark an event as being rebuilt from MySQL after Redis lost (or may have lost) its data
  (docs/decide-at-arrival.md, Restore). While the marker is there the gate answers RESTORING, and the
  consumers persist a decision read from Kafka by its offset: below the marker's end offsets it was
  made before the loss was noticed and is kept; at or above them no one confirmed it, and it is void.
  Whatever state of the event is left is dropped with it: the restore rebuilds it from MySQL alone. The
  gate channel hears "moved": no API process may answer from what it remembers (core/adapters/redis/sold-out-board.ts).

  KEYS[1] event meta hash    {server, ...}
  KEYS[2] remaining stock
  KEYS[3] decisions hash
  KEYS[4] reserved hash
  KEYS[5] restoring marker   '{"ends":{"<partition>":"<offset>",...},"at":<ms>,"gen":<generation>}': gen is
                             the generation of the state it replaces (meta.gen; apply.lua), when known.
                             The consumers keep a decision below the ends only if that state made it: one
                             of an older state reached Kafka after an earlier restore read its ends, was
                             confirmed by nobody, and is void (core/use-cases/persistence/persist.ts)
  KEYS[6] revoked hash       units revoked and not yet given back: MySQL counts them again

  ARGV[1] the applications topic's end offsets, read just before: JSON '{"<partition>":"<offset>",...}'
  ARGV[2] now, epoch ms
  ARGV[3] "force": restore even an event whose state looks whole (Redis restarted and may have lost
          its last writes; reconcile --fix). Its state is dropped and no marker set (the caller reads
          the offsets now and begins again): a confirm that succeeded before the drop has its decision
          in Kafka below offsets read after it, where offsets read before could miss it. A marker in
          force is replaced instead, keeping its offsets, so a restore that was under way starts over
          on a clean state. "": only when meta or stock is missing, or meta names another server
          (run_id) than this one: Redis restarted or failed over since, and may have lost its last
          writes. A confirm can't succeed on this server for such an event (confirm.lua), so offsets
          read before this call hold every decision answered 202.
  ARGV[4] the gate channel
  ARGV[5] the event id
  ARGV[6] the generation of the state replaced, when meta is gone: the one a forced call dropped, or
          MySQL's (events.redis_generation: the newest state a restore finished); "" for unknown

  Returns {code, marker or ""}:
     1  BEGUN     {1, marker}: this call set the marker
     2  IN_FORCE  {2, marker}: one was in force already
     0  WHOLE     {0, ""}: the event's state is whole (and not forced)
     3  DROPPED   {3, "", generation}: forced, and dropped; the generation of the state dropped, -1 if
                                         it had no meta
]]
--! include event-state.lua
local server = this_server()
local current = redis.call('GET', KEYS[5])
local force = ARGV[3] == 'force'
if current and not force then return {2, current} end
local meta_gen = redis.call('HGET', KEYS[1], 'gen')
if meta_gen == false and redis.call('EXISTS', KEYS[1]) == 1 then meta_gen = '0' end
if not current and not force and redis.call('HGET', KEYS[1], 'server') == server and redis.call('EXISTS', KEYS[2]) == 1 then
  return {0, ''}
end
if force and not current then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[6])
  redis.call('PUBLISH', ARGV[4], 'moved ' .. ARGV[5])
  return {3, '', tonumber(meta_gen or '-1')}
end
-- A restore that starts over keeps the offsets the loss was first noticed at, and the state it
-- replaces: the consumers may have judged records by them already.
local ends = ARGV[1]
local gen = meta_gen or (ARGV[6] ~= '' and ARGV[6]) or nil
if current then
  ends = string.match(current, '^{"ends":({[^}]*}),"at":') or ends
  gen = string.match(current, ',"gen":(%d+)}$')
end
local marker = '{"ends":' .. ends .. ',"at":' .. ARGV[2] .. (gen and (',"gen":' .. gen) or '') .. '}'
redis.call('SET', KEYS[5], marker)
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[6])
redis.call('PUBLISH', ARGV[4], 'moved ' .. ARGV[5])
return {1, marker}
