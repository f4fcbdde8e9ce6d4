// bench_echo_server: the ceiling the Polis RPC server is measured against.
// One libevent loop, one bufferevent per connection; every complete
// length-prefixed frame (u32 BE length, then that many bytes) is moved back to
// the output unchanged, all complete frames of a read in one
// evbuffer_remove_buffer. No handshake, no header parsing, no threads support
// in libevent: the fastest straightforward server a libevent user would write.
//
// It frees a bufferevent inside its own callback, the plain libevent idiom
// (libevent defers the free until the callback returns); Polis code does not.
//
// Prints "port=N" on stdout once listening; exits after --max-seconds.
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "bench_args.h"
#include "base/libevent_handles.h"

namespace {

constexpr size_t kMaxFrame = 16u << 20;

// Bytes at the front of `input` that form complete frames; -1 for a bad length.
long completeFrameBytes(evbuffer* input) {
  size_t available = evbuffer_get_length(input);
  size_t total = 0;
  evbuffer_ptr pos;
  evbuffer_ptr_set(input, &pos, 0, EVBUFFER_PTR_SET);
  while (available - total >= 4) {
    unsigned char prefix[4];
    evbuffer_copyout_from(input, &pos, prefix, 4);
    size_t length = uint32_t{prefix[0]} << 24 | uint32_t{prefix[1]} << 16 | uint32_t{prefix[2]} << 8 | prefix[3];
    if (length > kMaxFrame) return -1;
    if (available - total < 4 + length) break;
    total += 4 + length;
    if (available - total >= 4) evbuffer_ptr_set(input, &pos, total, EVBUFFER_PTR_SET);
  }
  return static_cast<long>(total);
}

void onRead(bufferevent* bev, void*) {
  evbuffer* input = bufferevent_get_input(bev);
  long bytes = completeFrameBytes(input);
  if (bytes < 0) {
    bufferevent_free(bev);  // a bad length: drop the peer
    return;
  }
  if (bytes > 0) evbuffer_remove_buffer(input, bufferevent_get_output(bev), static_cast<size_t>(bytes));
}

void onEvent(bufferevent* bev, short what, void*) {
  if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) bufferevent_free(bev);
}

void onAccept(evconnlistener* listener, evutil_socket_t fd, sockaddr*, int, void*) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  bufferevent* bev = bufferevent_socket_new(evconnlistener_get_base(listener), fd, BEV_OPT_CLOSE_ON_FREE);
  if (!bev) {
    evutil_closesocket(fd);
    return;
  }
  bufferevent_setcb(bev, onRead, nullptr, onEvent, nullptr);
  bufferevent_enable(bev, EV_READ | EV_WRITE);
}

void onStop(evutil_socket_t, short, void* base) { event_base_loopbreak(static_cast<event_base*>(base)); }

}  // namespace

int main(int argc, char** argv) {
  polis::bench::Args args(argc, argv, "bench_echo_server [--port=0] [--max-seconds=600]");
  auto port = static_cast<uint16_t>(args.num("port", 0, 0, 65535));
  long max_seconds = args.num("max-seconds", 600, 1, 3600);
  args.rejectUnknown();
  std::signal(SIGPIPE, SIG_IGN);  // a load generator that exits mid-write must not kill us

  polis::EventBasePtr base(event_base_new());
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  polis::ListenerPtr listener(evconnlistener_new_bind(base.get(), onAccept, nullptr,
                                                      LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, -1,
                                                      reinterpret_cast<sockaddr*>(&addr), sizeof addr));
  if (!listener) {
    std::fprintf(stderr, "bench_echo_server: cannot listen on 127.0.0.1:%u: %s\n", port, std::strerror(errno));
    return 1;
  }
  socklen_t len = sizeof addr;
  getsockname(evconnlistener_get_fd(listener.get()), reinterpret_cast<sockaddr*>(&addr), &len);
  std::printf("port=%u\n", ntohs(addr.sin_port));
  std::fflush(stdout);

  // Bounded: the server stops by itself even if nobody kills it.
  polis::EventPtr stop(evtimer_new(base.get(), onStop, base.get()));
  timeval tv{max_seconds, 0};
  evtimer_add(stop.get(), &tv);
  event_base_dispatch(base.get());
  // Connections still open are leaked to process exit on purpose: a bench tool.
  return 0;
}
