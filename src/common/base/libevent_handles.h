// Owning smart pointers for libevent handles: each frees with its own function.
#pragma once

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include <memory>

namespace polis {

template <class T, void (*Free)(T*)>
struct LibeventDeleter {
  void operator()(T* p) const { if (p) Free(p); }
};

using EventBasePtr = std::unique_ptr<event_base, LibeventDeleter<event_base, event_base_free>>;
using EventPtr = std::unique_ptr<event, LibeventDeleter<event, event_free>>;
using BufferEventPtr = std::unique_ptr<bufferevent, LibeventDeleter<bufferevent, bufferevent_free>>;
using ListenerPtr = std::unique_ptr<evconnlistener, LibeventDeleter<evconnlistener, evconnlistener_free>>;
using EvbufferPtr = std::unique_ptr<evbuffer, LibeventDeleter<evbuffer, evbuffer_free>>;
using EvhttpPtr = std::unique_ptr<evhttp, LibeventDeleter<evhttp, evhttp_free>>;

}  // namespace polis
