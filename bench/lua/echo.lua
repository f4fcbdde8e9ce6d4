-- polis.Echo.Echo in Lua for bench_hosted_server --handler=lua: the reply is the request,
-- decoded into a table and encoded again, as the built-in handler's
-- `co_return req;` is in C++.
Echo = polis.service("polis.Echo")

function Echo.Echo(call, req)
  return req
end
