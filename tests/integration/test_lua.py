"""The Lua host in a real cluster: a micro node hosting scripts/lua/guestbook.lua
answers game.Guestbook calls from another process; `polis-ctl reload lua`
reloads it through the center, keeping its state; a reload in the middle of
a sustained stream of calls fails none of them; a reload of a broken script
keeps the old code serving and reports file and line through polis-ctl;
scripts/lua/players.lua reaches MariaDB and Redis through a db node."""

import os
import shutil
import subprocess
import threading
import time

from conftest import REPO, SECRET

GUESTBOOK = (REPO / "scripts" / "lua" / "guestbook.lua").read_text()
PLAYERS = (REPO / "scripts" / "lua" / "players.lua").read_text()


def start(make_cluster, tmp_path):
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "guestbook.lua").write_text(GUESTBOOK)
    cluster = make_cluster({"center": 1, "micro": {"count": 1, "config": {"lua": {"scripts": str(scripts)}}}})
    cluster.up(timeout=30)
    return cluster, scripts


def call(cluster, build_dir, *args, timeout=60):
    binary = build_dir / "tests" / "unit" / "host" / "polis_guestbook_call"
    env = {**os.environ, "POLIS_TEST_SECRET": SECRET}
    r = subprocess.run([str(binary), str(cluster.entry("micro-1")["rpc_port"]), *args],
                       capture_output=True, text=True, timeout=timeout, env=env)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def ctl(cluster, *args):
    argv, env = cluster.ctl_command(list(args))
    r = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env)
    return r.returncode, r.stdout


def test_guestbook_answers_and_a_reload_through_the_center_keeps_its_state(make_cluster, tmp_path, build_dir):
    cluster, scripts = start(make_cluster, tmp_path)
    assert call(cluster, build_dir, "sign", "ada", "hello") == "entry_id: 1 total: 1"
    assert call(cluster, build_dir, "sign", "bob", "hi there") == "entry_id: 2 total: 2"
    assert call(cluster, build_dir, "sign", "", "x") == "error invalid_argument: name is empty"
    latest = call(cluster, build_dir, "latest", "10")
    assert latest.index('name: "bob"') < latest.index('name: "ada"'), latest

    (scripts / "guestbook.lua").write_text(GUESTBOOK.replace('"%d entries, ', '"v2: %d entries, '))
    code, out = ctl(cluster, "reload", "lua")
    assert code == 0, out
    assert "micro-1 (micro): ok" in out and "lua: loaded guestbook" in out, out
    code, out = ctl(cluster, "run", "guestbook.stats", "--node", "micro-1")
    assert code == 0 and "v2: 2 entries, 2 signed since start, next id 3" in out, out
    assert call(cluster, build_dir, "sign", "cy", "again") == "entry_id: 3 total: 3", "state survived"

    code, out = ctl(cluster, "run", "guestbook.trim", "keep=1", "--node", "micro-1")
    assert code == 0 and "kept 1 of 3 entries" in out, out
    assert call(cluster, build_dir, "latest", "10").count("entry_id") == 1


def test_a_reload_during_a_sustained_stream_fails_no_call(make_cluster, tmp_path, build_dir):
    cluster, scripts = start(make_cluster, tmp_path)
    result = {}
    streamer = threading.Thread(target=lambda: result.update(out=call(cluster, build_dir, "stream", "4", "32")))
    streamer.start()
    outputs = []
    for version in range(2, 5):  # three reloads while the calls flow
        time.sleep(0.8)
        (scripts / "guestbook.lua").write_text(GUESTBOOK.replace('"%d entries, ', f'"v{version}: %d entries, '))
        outputs.append(ctl(cluster, "reload", "lua"))
    streamer.join(timeout=60)
    assert all(code == 0 and "lua: loaded guestbook" in out for code, out in outputs), outputs
    first, *errors = result["out"].splitlines()
    counts = dict(item.split("=") for item in first.split())
    ok, failed = int(counts["ok"]), int(counts["failed"])
    assert failed == 0, result["out"]
    assert ok > 1000, f"the stream barely ran: {first}"
    assert int(counts["max_entry_id"]) == ok, "every signature landed in one book: entry ids continued across reloads"
    code, out = ctl(cluster, "run", "guestbook.stats", "--node", "micro-1")
    assert code == 0 and f"v4: {min(ok, 1000)} entries, {ok} signed since start" in out, out


def test_a_broken_script_keeps_the_old_code_serving_and_polis_ctl_says_where(make_cluster, tmp_path, build_dir):
    cluster, scripts = start(make_cluster, tmp_path)
    assert call(cluster, build_dir, "sign", "ada", "hello") == "entry_id: 1 total: 1"
    (scripts / "guestbook.lua").write_text(GUESTBOOK.replace("function Guestbook.Latest(call, req)",
                                                             "function Guestbook.Latest(call, req"))
    line = GUESTBOOK[:GUESTBOOK.index("function Guestbook.Latest")].count("\n") + 2
    code, out = ctl(cluster, "reload", "lua")
    assert code == 1, out
    assert f"guestbook.lua:{line}:" in out, out
    assert call(cluster, build_dir, "sign", "bob", "still here") == "entry_id: 2 total: 2"
    (scripts / "extra.lua").write_text("x = \n")
    code, out = ctl(cluster, "reload", "lua")
    assert code == 1 and "extra.lua:2:" in out and "guestbook.lua" in out, "every broken file is named: " + out
    shutil.copy(REPO / "scripts" / "lua" / "guestbook.lua", scripts / "guestbook.lua")
    (scripts / "extra.lua").unlink()
    code, out = ctl(cluster, "reload", "lua")
    assert code == 0 and "no module changed" in out, out


def test_scripts_reach_the_database_through_the_db_service(make_cluster, tmp_path):
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "players.lua").write_text(PLAYERS)
    cluster = make_cluster({"center": 1, "db": 1, "micro": {"count": 1, "config": {"lua": {"scripts": str(scripts)}}}},
                           mariadb={"enabled": True, "database": "polis_lua"}, redis={"enabled": True})
    cluster.up(timeout=60)
    code, out = ctl(cluster, "run", "player.create", "id=7", "data=hello", "--node", "micro-1")
    assert code == 0 and "created player 7 (version 1)" in out, out
    code, out = ctl(cluster, "run", "player.show", "id=7", "--node", "micro-1")
    assert code == 0 and "player 7 version 1: hello" in out, out
    code, out = ctl(cluster, "run", "player.show", "id=8", "--node", "micro-1")
    assert code == 1 and "not_found" in out, "the db's typed error reaches the operator: " + out
