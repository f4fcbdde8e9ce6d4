// A tiny `--key=value` command-line reader shared by the bench binaries.
// Bad input (an unknown key, a number out of range) exits with a message:
// these are tools run by hand or by bench/run.sh, not services.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>

namespace polis::bench {

class Args {
 public:
  Args(int argc, char** argv, const char* usage) : usage_(usage) {
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      auto eq = arg.find('=');
      if (arg.rfind("--", 0) != 0 || eq == std::string::npos) fail("expected --key=value, got \"" + arg + "\"");
      values_[arg.substr(2, eq - 2)] = arg.substr(eq + 1);
    }
  }

  std::string str(const std::string& key, const std::string& fallback) {
    used_.insert(key);
    auto it = values_.find(key);
    return it == values_.end() ? fallback : it->second;
  }

  long num(const std::string& key, long fallback, long min, long max) {
    std::string text = str(key, std::to_string(fallback));
    char* end = nullptr;
    long v = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || v < min || v > max) {
      fail("--" + key + " must be an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
    }
    return v;
  }

  // Call after every lookup: a misspelt key must not silently use a default.
  void rejectUnknown() const {
    for (const auto& [key, value] : values_) {
      if (!used_.count(key)) fail("unknown option --" + key);
    }
  }

  [[noreturn]] void fail(const std::string& why) const {
    std::fprintf(stderr, "error: %s\nusage: %s\n", why.c_str(), usage_);
    std::exit(2);
  }

 private:
  const char* usage_;
  std::map<std::string, std::string> values_;
  std::set<std::string> used_;
};

}  // namespace polis::bench
