-- Players through the db service: the way Lua reaches the database is
-- rpc.call to role "db" with the methods of proto/polis/db.proto. Each call
-- suspends the command until the db node answers. Operators try it with
--   polis-ctl run player.create id=7 data=hello --role micro
--   polis-ctl run player.show id=7 --role micro

polis.command{
  name = "player.create",
  help = "create a player record through the db service",
  args = {id = {type = "int", required = true}, data = {type = "string", required = true}},
  run = function(args)
    local player, err = rpc.call("db", "Players.Create", {player_id = args.id, account_id = args.id, data = args.data})
    if not player then return nil, err end
    return string.format("created player %d (version %d)", player.player_id, player.version)
  end,
}

polis.command{
  name = "player.show",
  help = "load a player record through the db service",
  args = {id = {type = "int", required = true}},
  run = function(args)
    local player, err = rpc.call("db", "Players.Load", {player_id = args.id})
    if not player then return nil, err end
    return string.format("player %d version %d: %s", player.player_id, player.version, player.data)
  end,
}
