#!/usr/bin/env python3
"""Runs protoc with protoc-gen-polis on the fixtures and checks what it says.

Environment (set by CTest, see CMakeLists.txt):
  PROTOC      the protoc binary
  POLIS_PLUGIN  the protoc-gen-polis binary
  PROTO_ROOT  the project's proto/ directory (for polis/options.proto)
"""
import json
import os
import pathlib
import subprocess
import tempfile
import unittest

FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures"
# What the messages should call the fixture files, passed as the plugin's root=.
SHOWN_ROOT = "tests/codegen/fixtures"


def run_plugin(*protos, out_dir, parameter=""):
    cmd = [
        os.environ["PROTOC"],
        "--plugin=protoc-gen-polis=" + os.environ["POLIS_PLUGIN"],
        f"--polis_out=root={SHOWN_ROOT}{parameter}:{out_dir}",
        "-I", os.environ["PROTO_ROOT"],
        "-I", str(FIXTURES),
        *protos,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


class CodegenTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.out = pathlib.Path(self._tmp.name)

    def tearDown(self):
        self._tmp.cleanup()

    def fails_with(self, protos, expected):
        """Asserts the run fails, prints every expected fragment and writes nothing."""
        r = run_plugin(*protos, out_dir=self.out)
        self.assertNotEqual(r.returncode, 0, r.stderr)
        for fragment in expected:
            self.assertIn(fragment, r.stderr)
        self.assertEqual(list(self.out.iterdir()), [], "a failed run must not leave outputs")
        return r.stderr

    def test_missing_id(self):
        self.fails_with(["missing_id.proto"], [
            f"{SHOWN_ROOT}/missing_id.proto:8: Rooms.Create has no (polis.msg_id) option"])

    def test_duplicate_id_across_files(self):
        self.fails_with(["dup_a.proto", "dup_b.proto"], [
            f"msg_id 2101 is used twice: {SHOWN_ROOT}/dup_a.proto:7 Rooms.Create"
            f" and {SHOWN_ROOT}/dup_b.proto:7 Chat.Send"])

    def test_oneway_must_return_empty(self):
        self.fails_with(["oneway_not_empty.proto"], [
            f"{SHOWN_ROOT}/oneway_not_empty.proto:7: Chat.Send is (polis.oneway)",
            "returns game.chat.ChatMsg", "must return polis.Empty"])

    def test_ids_out_of_range_all_reported(self):
        self.fails_with(["bad_range.proto"], [
            f"{SHOWN_ROOT}/bad_range.proto:8: Rooms.Create has msg_id 42;",
            "belong to the runtime",
            f"{SHOWN_ROOT}/bad_range.proto:9: Rooms.Join has msg_id 65300;"])

    def test_streaming_rejected(self):
        self.fails_with(["streaming.proto"], [
            f"{SHOWN_ROOT}/streaming.proto:7: Rooms.Watch is streaming"])

    def test_good_fixture(self):
        r = run_plugin("good.proto", "good_types.proto", out_dir=self.out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(p.name for p in self.out.iterdir()), [
            "good.polis.cc", "good.polis.h", "good.polis_plugin.h",
            "good_types.polis.cc", "good_types.polis.h", "good_types.polis_plugin.h"])
        header = (self.out / "good.polis.h").read_text()
        for fragment in [
            'static constexpr ::polis::rpc::MethodInfo kCreate{2101, "Rooms.Create", false};',
            'static constexpr ::polis::rpc::MethodInfo kLeave{2102, "Rooms.Leave", false};',
            'static constexpr ::polis::rpc::MethodInfo kChat{2110, "Rooms.Chat", true};',
            "namespace game::rooms::gen {",
            '#include "good.pb.h"', '#include "good_types.pb.h"', '#include "polis/common.pb.h"',
            "// Creates a room; costs $5.",
            "Create(::polis::Call& call, const ::game::rooms::CreateRoomReq& req) = 0;",
            "Leave(::polis::Call& call, const ::game::rooms::CreateRoomReq_Mode& req) = 0;",
            "virtual ::polis::Task<void> Chat(",
            "::polis::rpc::Pending<::game::rooms::RoomInfo> Create(",
        ]:
            self.assertIn(fragment, header)
        source = (self.out / "good.polis.cc").read_text()
        self.assertIn("::polis::rpc::bindUnary(table, kCreate, this, &Service::Create);", source)
        self.assertIn("::polis::rpc::bindOneway(table, kChat, this, &Service::Chat);", source)
        self.assertIn("::polis::rpc::sendNotify(channel_, kChat, req, options)", source)
        self.assertNotIn("struct", (self.out / "good_types.polis.h").read_text())
        # The same service for plugins: the same names, over the plugin SDK only.
        plugin = (self.out / "good.polis_plugin.h").read_text()
        for fragment in [
            "#include <polis/plugin.h>", "namespace game::rooms::gen {",
            'static constexpr ::polis::plugin::MethodInfo kCreate{2101, "Rooms.Create", false};',
            'static constexpr ::polis::plugin::MethodInfo kChat{2110, "Rooms.Chat", true};',
            "class Service : public ::polis::plugin::Service {",
            "Create(::polis::Call& call, const ::game::rooms::CreateRoomReq& req) = 0;",
            "r.unary(kCreate, this, &Service::Create);", "r.oneway(kChat, this, &Service::Chat);",
            "return ::polis::plugin::callRole<::game::rooms::RoomInfo>(role_, kCreate, req, o);",
            "return ::polis::plugin::notifyRole(role_, kChat, req, o);",
        ]:
            self.assertIn(fragment, plugin)
        self.assertNotIn("rpc::", plugin, "a plugin header must not reach into the runtime")
        self.assertNotIn("struct", (self.out / "good_types.polis_plugin.h").read_text())

    def test_a_push_with_a_reply_is_refused(self):
        self.fails_with(["push_with_reply.proto"], [
            f"{SHOWN_ROOT}/push_with_reply.proto:9: ArenaPush.Score is in a (polis.client_access) = CLIENT_PUSHES "
            "service but not (polis.oneway)"])

    def test_the_message_table_lists_exactly_the_client_visible_messages(self):
        r = run_plugin("client_table.proto", "good.proto", "good_types.proto", out_dir=self.out,
                       parameter=",table=table.json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([p.name for p in self.out.iterdir()], ["table.json"], "only the table")
        table = json.loads((self.out / "table.json").read_text())
        self.assertEqual(table, {"format": 1, "messages": [
            {"id": 3000, "kind": "request", "message": "game.arena.Emote", "service": "game.arena.Arena",
             "method": "Wave", "oneway": True},
            {"id": 3001, "kind": "request", "message": "game.arena.JoinReq", "service": "game.arena.Arena",
             "method": "Join", "oneway": False},
            {"id": 3001, "kind": "response", "message": "game.arena.JoinAck", "service": "game.arena.Arena",
             "method": "Join"},
            {"id": 3010, "kind": "push", "message": "game.arena.Scored", "service": "game.arena.ArenaPush",
             "method": "Score"},
        ]})
        # The table's run checks ids across everything it is given.
        r = run_plugin("dup_a.proto", "dup_b.proto", out_dir=self.out, parameter=",table=t2.json")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("msg_id 2101 is used twice", r.stderr)

    def test_runtime_protos(self):
        protos = ["polis/options.proto", "polis/common.proto", "polis/rpc.proto",
                  "polis/registry.proto", "polis/bench.proto"]
        r = run_plugin(*protos, out_dir=self.out)
        self.assertEqual(r.returncode, 0, r.stderr)
        header = (self.out / "polis/registry.polis.h").read_text()
        self.assertIn('kRegister{10, "Registry.Register", false}', header)
        self.assertIn('kChanged{20, "MembershipWatcher.Changed", true}', header)


if __name__ == "__main__":
    unittest.main()
