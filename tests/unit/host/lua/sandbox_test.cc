// Escapes from the sandbox, attempted and refused.
#include "lua_fixture.h"

namespace polis::lua {
namespace {

class Sandbox : public LuaFixture {
 protected:
  // Runs `body` as a command of a fresh module: its output or error.
  std::string run(const std::string& body) {
    write("probe.lua", "polis.command{name = 'probe', run = function()\n" + body + "\nend}\n");
    if (!host) {
      auto ok = start();
      if (!ok) return "start failed: " + ok.error().message;
    } else if (auto ok = host->reload(); !ok) {
      return "reload failed: " + ok.error().message;
    }
    return command("probe");
  }
};

TEST_F(Sandbox, DangerousLibrariesAreAbsent) {
  EXPECT_EQ(run("return tostring(os) .. ' ' .. tostring(io) .. ' ' .. tostring(debug) .. ' ' .. tostring(package)"),
            "nil nil nil nil");
  EXPECT_NE(run("os.execute('touch /tmp/polis-lua-escaped')").find("attempt to index a nil value (global 'os')"),
            std::string::npos);
  EXPECT_NE(run("return io.open('/etc/passwd')").find("(global 'io')"), std::string::npos);
  EXPECT_NE(run("return debug.getregistry()").find("(global 'debug')"), std::string::npos);
  EXPECT_NE(run("return package.loadlib('libc.so.6', 'system')").find("(global 'package')"), std::string::npos);
  EXPECT_NE(run("return require('os')").find("(global 'require')"), std::string::npos);
  EXPECT_EQ(run("return tostring(dofile) .. tostring(loadfile) .. tostring(rawequal ~= nil)"), "nilniltrue");
}

TEST_F(Sandbox, OnlyTextChunksLoadAndStringDumpIsGone) {
  EXPECT_EQ(run("return tostring(string.dump)"), "nil");
  EXPECT_EQ(run("return tostring(('').dump)"), "nil") << "not through the string metatable either";
  // A binary chunk (the signature of luac output) is refused even without a mode.
  EXPECT_NE(run("local f, err = load('\\27Lua\\84\\0') return err").find("attempt to load a binary chunk"),
            std::string::npos);
  EXPECT_NE(run("return load('return 1', 'x', 'b')").find("only text chunks"), std::string::npos);
  EXPECT_EQ(run("return load('return 1 + 1')()"), "2");
  EXPECT_EQ(run("return load('return tostring(os)')()"), "nil") << "a loaded chunk gets a sandbox environment";
}

TEST_F(Sandbox, TheRealGlobalsAndTheStringMetatableAreOutOfReach) {
  EXPECT_EQ(run("return tostring(getmetatable(''))"), "the string metatable is protected");
  EXPECT_NE(run("getmetatable('').__index.upper = function() return 'pwned' end").find("attempt to index a nil value (field '__index')"),
            std::string::npos);
  EXPECT_EQ(run("return tostring(getmetatable(_ENV))"), "a module environment's metatable is protected");
  EXPECT_NE(run("setmetatable(_ENV, nil)").find("cannot change a protected metatable"), std::string::npos);
  EXPECT_EQ(run("return tostring(_G)"), "nil");
  EXPECT_NE(run("setmetatable({}, {__gc = function() end})").find("__gc"), std::string::npos);
  EXPECT_NE(run("return collectgarbage('stop')").find("invalid option"), std::string::npos);
}

TEST_F(Sandbox, AModuleThatChangesALibraryChangesItsOwnCopyOnly) {
  write("evil.lua", "string.upper = function() return 'pwned' end\nrawset(string, 'lower', print)\n");
  EXPECT_EQ(run("return ('abc'):upper() .. string.upper('x') .. string.lower('Y')"), "ABCXy");
}

TEST_F(Sandbox, AHandlersCoroutineCannotBeResumedByScripts) {
  EXPECT_NE(run("local co = coroutine.running() return coroutine.resume(co)").find("resumed by the host only"),
            std::string::npos);
  EXPECT_EQ(run("local co = coroutine.wrap(function(a) coroutine.yield(a + 1) end) return co(1)"), "2");
}

}  // namespace
}  // namespace polis::lua
