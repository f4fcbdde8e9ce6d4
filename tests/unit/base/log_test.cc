#include "base/log.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cstdio>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace polis::log {
namespace {

// Points fd 2 at a temporary file for the capture's lifetime, so the test sees
// exactly what the real stderr sink writes.
class StderrCapture {
 public:
  StderrCapture() : file_(std::tmpfile()), saved_(dup(STDERR_FILENO)) {
    std::fflush(stderr);
    dup2(fileno(file_), STDERR_FILENO);
  }
  ~StderrCapture() {
    restore();
    std::fclose(file_);
  }
  std::string text() {
    spdlog::default_logger()->flush();
    restore();
    std::string out;
    std::rewind(file_);
    char buffer[4096];
    while (size_t n = std::fread(buffer, 1, sizeof buffer, file_)) out.append(buffer, n);
    return out;
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    dup2(saved_, STDERR_FILENO);
    close(saved_);
    saved_ = -1;
  }
  FILE* file_;
  int saved_;
};

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(Log, JsonLineEscapesQuotesNewlinesAndControlCharacters) {
  ASSERT_TRUE(init("lobby-1", "info", Format::kJson));
  std::string message = "say \"hi\"\n\tback\\slash \x01 end";
  StderrCapture capture;
  info("{}", message);
  std::string out = capture.text();

  ASSERT_EQ(lines(out).size(), 1u) << out;
  EXPECT_EQ(out.back(), '\n');
  auto json = nlohmann::json::parse(lines(out)[0]);
  EXPECT_EQ(json["msg"], message);
  EXPECT_EQ(json["level"], "info");
  EXPECT_EQ(json["node"], "lobby-1");
  std::string ts = json["ts"];
  EXPECT_TRUE(std::regex_match(ts, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"))) << ts;
  EXPECT_EQ(json.size(), 4u);
}

TEST(Log, JsonReplacesInvalidUtf8AndKeepsValidUtf8) {
  ASSERT_TRUE(init("db-1", "info", Format::kJson));
  StderrCapture capture;
  warn("bad \xff\xc0 byte, good \xc3\xa9 \xe2\x82\xac");
  auto json = nlohmann::json::parse(lines(capture.text()).at(0));
  EXPECT_EQ(json["msg"], "bad \xef\xbf\xbd\xef\xbf\xbd byte, good \xc3\xa9 \xe2\x82\xac");
  EXPECT_EQ(json["level"], "warn");
}

TEST(Log, LevelFiltersLowerLevels) {
  ASSERT_TRUE(init("gate-1", "warn", Format::kJson));
  StderrCapture capture;
  info("hidden");
  error("shown");
  auto out = lines(capture.text());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(out[0])["level"], "error");
}

TEST(Log, HumanFormatNamesNodeAndIsNotJson) {
  ASSERT_TRUE(init("world-2", "debug", Format::kHuman));
  StderrCapture capture;
  debug("hello {}", 7);
  std::string out = capture.text();
  EXPECT_NE(out.find("world-2"), std::string::npos) << out;
  EXPECT_NE(out.find("hello 7"), std::string::npos) << out;
  EXPECT_NE(out.find("debug"), std::string::npos) << out;
  EXPECT_NE(out.front(), '{');
}

TEST(Log, AutoFormatIsJsonWhenStderrIsNotATerminal) {
  StderrCapture capture;  // a file, not a TTY
  ASSERT_TRUE(init("proxy-1", "info", Format::kAuto));
  info("auto");
  auto json = nlohmann::json::parse(lines(capture.text()).at(0));
  EXPECT_EQ(json["msg"], "auto");
}

TEST(Log, UnknownLevelIsRejected) {
  EXPECT_FALSE(init("x", "verbose", Format::kJson));
  EXPECT_FALSE(init("x", "", Format::kJson));
  EXPECT_TRUE(init("x", "trace", Format::kJson));
}

TEST(Log, ParseFormat) {
  Format format = Format::kAuto;
  EXPECT_TRUE(parseFormat("json", format));
  EXPECT_EQ(format, Format::kJson);
  EXPECT_TRUE(parseFormat("human", format));
  EXPECT_EQ(format, Format::kHuman);
  EXPECT_TRUE(parseFormat("auto", format));
  EXPECT_EQ(format, Format::kAuto);
  EXPECT_FALSE(parseFormat("xml", format));
}

}  // namespace
}  // namespace polis::log
