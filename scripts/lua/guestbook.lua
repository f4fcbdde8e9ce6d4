-- The guestbook: sign it, read the latest entries; operators can trim it.
-- Implements game.Guestbook (proto/game/guestbook.proto). Its state lives in
-- this module's globals, which survive a reload: `x = x or default` keeps
-- the old value when the file is loaded again.

entries = entries or {}   -- oldest first: {entry_id, name, text, signed_at_ms}
next_id = next_id or 1
signed = signed or 0      -- signatures since the node started

local max_entries = config.get("guestbook.max_entries", 1000)  -- lua.settings.guestbook.max_entries

Guestbook = polis.service("game.Guestbook")

function Guestbook.Sign(call, req)
  if req.name == "" then return nil, polis.error("invalid_argument", "name is empty") end
  local entry = {entry_id = next_id, name = req.name, text = req.text, signed_at_ms = polis.now_ms()}
  next_id = next_id + 1
  signed = signed + 1
  entries[#entries + 1] = entry
  if #entries > max_entries then table.remove(entries, 1) end
  return {entry_id = entry.entry_id, total = #entries}
end

function Guestbook.Latest(call, req)
  local limit = req.limit
  if limit == 0 or limit > 100 then limit = 100 end
  local out = {}
  for i = #entries, math.max(1, #entries - limit + 1), -1 do
    out[#out + 1] = entries[i]
  end
  return {entries = out}
end

polis.command{
  name = "guestbook.trim",
  help = "keep only the newest entries",
  args = {keep = {type = "int", required = true, help = "how many entries to keep (0 clears the book)"}},
  run = function(args)
    if args.keep < 0 then return nil, polis.error("invalid_argument", "keep must be 0 or more") end
    local before = #entries
    while #entries > args.keep do table.remove(entries, 1) end
    return string.format("kept %d of %d entries", #entries, before)
  end,
}

polis.command{
  name = "guestbook.stats",
  help = "entries in the book and signatures since the node started",
  run = function()
    return string.format("%d entries, %d signed since start, next id %d", #entries, signed, next_id)
  end,
}
