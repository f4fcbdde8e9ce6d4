// TcpServer's abuse limits over real loopback sockets: the cap on accepted
// connections not yet admitted, and the backoff when the process runs out of
// descriptors (EMFILE) instead of spinning on a listener that stays readable.
#include <dirent.h>
#include <event2/buffer.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "base/metrics.h"
#include "net/tcp_server.h"
#include "support/loop_runner.h"
#include "support/loopback_socket.h"

namespace polis::net {
namespace {

using namespace std::chrono_literals;
using polis::testing::runFor;
using polis::testing::runUntil;

uint64_t acceptPauses(const std::string& listener, const std::string& reason) {
  return metrics::Registry::global()
      .counter("polis_net_accept_pauses_total", "Times a listener stopped accepting, by reason.",
               {{"listener", listener}, {"reason", reason}})
      .value();
}

// The local port of a client socket, as the server sees it in peer().
std::string peerOf(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  return "127.0.0.1:" + std::to_string(ntohs(address.sin_port));
}

struct Accepted {
  TcpConnection::Ptr conn;
  bool closed = false;
};

class AcceptLimitsTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (int fd : clients) close(fd);
    for (auto& a : accepted) {
      if (!a->closed) a->conn->close("test over");
    }
    server.reset();
    runFor(loop, 10ms);
  }

  // `admit_at_once`: admit each connection as it is accepted (as the HTTP
  // server does not, and an RPC server does after the handshake).
  void listen(ListenerOptions options, bool admit_at_once = false) {
    server = std::make_unique<TcpServer>(loop, "127.0.0.1", 0, ConnectionOptions{}, options);
    auto started = server->start([this, admit_at_once](TcpConnection::Ptr c) {
      if (admit_at_once) c->admit();
      auto a = std::make_unique<Accepted>();
      Accepted* raw = a.get();
      a->conn = std::move(c);
      a->conn->start([](evbuffer* input) { evbuffer_drain(input, evbuffer_get_length(input)); },
                     [raw](const TcpConnection::Ptr&, std::string_view) { raw->closed = true; });
      accepted.push_back(std::move(a));
    });
    ASSERT_TRUE(started.ok()) << started.error().describe();
    port = *started;
  }

  // Blocking connects: on loopback each completes in the kernel's backlog
  // whether or not the server accepts it.
  void dial(int n) {
    for (int i = 0; i < n; ++i) {
      int fd = polis::testing::connectLoopback(port);
      ASSERT_GE(fd, 0) << "connect " << i << " failed";
      clients.push_back(fd);
    }
  }

  int clientFor(const Accepted& a) {
    for (int fd : clients) {
      if (peerOf(fd) == a.conn->peer()) return fd;
    }
    return -1;
  }

  EventLoop loop;
  std::unique_ptr<TcpServer> server;
  std::vector<std::unique_ptr<Accepted>> accepted;
  std::vector<int> clients;
  uint16_t port = 0;
};

TEST_F(AcceptLimitsTest, AtTheUnadmittedCapAcceptingWaitsForAnAdmitOrAClose) {
  ASSERT_NO_FATAL_FAILURE(listen(ListenerOptions{3, "cap-test"}));
  uint64_t pauses = acceptPauses("cap-test", "unadmitted_cap");
  ASSERT_NO_FATAL_FAILURE(dial(7));

  ASSERT_TRUE(runUntil(loop, [&] { return accepted.size() == 3; }));
  runFor(loop, 100ms);
  EXPECT_EQ(accepted.size(), 3u) << "accepted past the cap of unadmitted connections";
  EXPECT_EQ(server->unadmitted(), 3u);
  EXPECT_EQ(acceptPauses("cap-test", "unadmitted_cap"), pauses + 1);

  // Admitting one frees its slot: exactly one more is accepted.
  accepted[0]->conn->admit();
  ASSERT_TRUE(runUntil(loop, [&] { return accepted.size() == 4; }));
  runFor(loop, 100ms);
  EXPECT_EQ(accepted.size(), 4u);
  EXPECT_EQ(server->unadmitted(), 3u);
  EXPECT_EQ(acceptPauses("cap-test", "unadmitted_cap"), pauses + 2);

  // Admitting again, or closing an admitted connection, frees nothing more.
  accepted[0]->conn->admit();
  accepted[0]->conn->close("admitted one leaves");
  runFor(loop, 100ms);
  EXPECT_EQ(accepted.size(), 4u) << "an admitted connection released its slot twice";

  // An unadmitted connection whose peer hangs up frees its slot.
  int fd = clientFor(*accepted[1]);
  ASSERT_GE(fd, 0);
  ::shutdown(fd, SHUT_RDWR);
  ASSERT_TRUE(runUntil(loop, [&] { return accepted.size() == 5; }));
  EXPECT_TRUE(accepted[1]->closed);

  // And so does one the server closes.
  accepted[2]->conn->close("server closes a stranger");
  ASSERT_TRUE(runUntil(loop, [&] { return accepted.size() == 6; }));
  runFor(loop, 100ms);
  EXPECT_EQ(accepted.size(), 6u) << "the 7th client got in although 3 are still unadmitted";
  EXPECT_EQ(server->unadmitted(), 3u);
}

TEST_F(AcceptLimitsTest, ConnectionsAdmittedAtOnceNeverHitTheCap) {
  ASSERT_NO_FATAL_FAILURE(listen(ListenerOptions{2, "cap-admit-test"}, /*admit_at_once=*/true));
  uint64_t pauses = acceptPauses("cap-admit-test", "unadmitted_cap");
  ASSERT_NO_FATAL_FAILURE(dial(10));
  ASSERT_TRUE(runUntil(loop, [&] { return accepted.size() == 10; }));
  EXPECT_EQ(server->unadmitted(), 0u);
  EXPECT_EQ(acceptPauses("cap-admit-test", "unadmitted_cap"), pauses);
}

// Lowers RLIMIT_NOFILE so that exactly `spare` more descriptors can be
// opened; restores the old limit when destroyed (every exit path of a test).
class FdLimit {
 public:
  explicit FdLimit(int spare) {
    getrlimit(RLIMIT_NOFILE, &saved_);
    std::set<int> open_fds;
    DIR* dir = opendir("/proc/self/fd");
    if (!dir) return;
    int own = dirfd(dir);
    while (dirent* e = readdir(dir)) {
      if (e->d_name[0] == '.') continue;
      int fd = std::stoi(e->d_name);
      if (fd != own) open_fds.insert(fd);
    }
    closedir(dir);
    // New descriptors take the lowest free numbers: find the limit below
    // which exactly `spare` numbers are free.
    int free_below = 0, limit = 0;
    while (free_below < spare) {
      if (!open_fds.count(limit)) ++free_below;
      ++limit;
    }
    rlimit lowered = saved_;
    lowered.rlim_cur = static_cast<rlim_t>(limit);
    applied_ = setrlimit(RLIMIT_NOFILE, &lowered) == 0;
  }
  ~FdLimit() { restore(); }
  void restore() {
    if (applied_) setrlimit(RLIMIT_NOFILE, &saved_);
    applied_ = false;
  }
  bool applied() const { return applied_; }

 private:
  rlimit saved_{};
  bool applied_ = false;
};

double threadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

TEST_F(AcceptLimitsTest, OutOfDescriptorsBacksOffInsteadOfSpinningAndRecovers) {
  ASSERT_NO_FATAL_FAILURE(listen(ListenerOptions{256, "emfile-test"}));
  uint64_t pauses = acceptPauses("emfile-test", "out_of_resources");
  ASSERT_NO_FATAL_FAILURE(dial(8));  // all wait in the backlog: the loop has not run yet

  double cpu_used = 0;
  size_t accepted_while_limited = 0;
  uint64_t pauses_while_limited = 0;
  {
    FdLimit limit(2);
    ASSERT_TRUE(limit.applied()) << "setrlimit failed";
    double cpu_before = threadCpuSeconds();
    runFor(loop, 300ms);
    cpu_used = threadCpuSeconds() - cpu_before;
    accepted_while_limited = accepted.size();
    pauses_while_limited = acceptPauses("emfile-test", "out_of_resources") - pauses;
  }  // limit restored here
  EXPECT_EQ(accepted_while_limited, 2u) << "only two descriptors were free";
  // Backoff 50, 100, 200 ms: about three pauses in 300 ms; a spinning
  // listener would have used the whole 300 ms of CPU.
  EXPECT_GE(pauses_while_limited, 1u) << "EMFILE did not pause the listener";
  EXPECT_LE(pauses_while_limited, 6u) << "the backoff does not grow";
  EXPECT_LT(cpu_used, 0.1) << "the loop spun while accept failed with EMFILE";

  // With descriptors back, accepting resumes by itself (the next retry is at
  // most the 1 s backoff cap away).
  ASSERT_TRUE(runUntil(loop, [&] { return accepted.size() == 8; }, 3000ms))
      << "accepting did not resume after the descriptors came back; accepted " << accepted.size();
}

}  // namespace
}  // namespace polis::net
