#include "net/http_parser.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

namespace polis::net {
namespace {

bool isTokenChar(unsigned char c) {
  return std::isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool isToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return isTokenChar(static_cast<unsigned char>(c)); });
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool hasControlChars(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && u != '\t') || u == 0x7f;
  });
}

// "GET /path?q HTTP/1.1" -> method, target, minor version.
bool parseRequestLine(std::string_view line, HttpRequest& out, int& minor) {
  auto sp1 = line.find(' ');
  auto sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) return false;
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!isToken(method) || target.empty() || target.front() != '/' || hasControlChars(target) ||
      target.find(' ') != std::string_view::npos) {
    return false;
  }
  if (version == "HTTP/1.1") minor = 1;
  else if (version == "HTTP/1.0") minor = 0;
  else return false;
  out.method = std::string(method);
  auto q = target.find('?');
  out.path = std::string(target.substr(0, q));
  out.query = q == std::string_view::npos ? "" : std::string(target.substr(q + 1));
  return true;
}

struct Head {
  std::optional<size_t> content_length;
  bool chunked = false;
  bool close = false;
  bool keep_alive = false;
};

HttpParse parseHeaderLine(std::string_view line, const HttpLimits& limits, Head& head, HttpRequest& request) {
  auto colon = line.find(':');
  if (colon == std::string_view::npos || !isToken(line.substr(0, colon))) return HttpParse::kBadRequest;
  std::string_view name = line.substr(0, colon);
  std::string_view value = trimSpaces(line.substr(colon + 1));
  if (hasControlChars(value)) return HttpParse::kBadRequest;
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  request.headers.emplace_back(std::move(lower), std::string(value));
  if (equalsIgnoreCase(name, "content-length")) {
    size_t n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (value.empty() || ec != std::errc() || end != value.data() + value.size()) return HttpParse::kBadRequest;
    if (head.content_length && *head.content_length != n) return HttpParse::kBadRequest;
    if (n > limits.max_body) return HttpParse::kBodyTooLarge;
    head.content_length = n;
  } else if (equalsIgnoreCase(name, "transfer-encoding")) {
    head.chunked = true;
  } else if (equalsIgnoreCase(name, "connection")) {
    if (equalsIgnoreCase(value, "close")) head.close = true;
    if (equalsIgnoreCase(value, "keep-alive")) head.keep_alive = true;
  }
  return HttpParse::kDone;
}

}  // namespace

HttpParse parseHttpRequest(std::string_view data, const HttpLimits& limits, HttpRequest& out, size_t& consumed) {
  size_t head_end = data.substr(0, limits.max_head + 4).find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    return data.size() > limits.max_head ? HttpParse::kHeadTooLarge : HttpParse::kNeedMore;
  }
  std::string_view head_text = data.substr(0, head_end + 2);  // every line ends in CRLF
  HttpRequest request;
  Head head;
  int minor = 1;
  bool first = true;
  while (!head_text.empty()) {
    size_t eol = head_text.find("\r\n");
    std::string_view line = head_text.substr(0, eol);
    head_text.remove_prefix(eol + 2);
    if (line.find('\n') != std::string_view::npos || line.find('\r') != std::string_view::npos) {
      return HttpParse::kBadRequest;  // a bare CR or LF inside a line
    }
    if (first) {
      if (!parseRequestLine(line, request, minor)) return HttpParse::kBadRequest;
      first = false;
      continue;
    }
    if (line.empty() || line.front() == ' ' || line.front() == '\t') return HttpParse::kBadRequest;  // obs-fold
    if (auto r = parseHeaderLine(line, limits, head, request); r != HttpParse::kDone) return r;
  }
  if (head.chunked) return HttpParse::kNotImplemented;
  size_t body_length = head.content_length.value_or(0);
  size_t total = head_end + 4 + body_length;
  if (data.size() < total) return HttpParse::kNeedMore;
  request.body = std::string(data.substr(head_end + 4, body_length));
  request.keep_alive = minor == 1 ? !head.close : head.keep_alive && !head.close;
  out = std::move(request);
  consumed = total;
  return HttpParse::kDone;
}

const std::string* HttpRequest::header(std::string_view name) const {
  const std::string* found = nullptr;
  for (const auto& [n, value] : headers) {
    if (n != name) continue;
    if (found) return nullptr;
    found = &value;
  }
  return found;
}

bool HttpRequest::headerHasToken(std::string_view name, std::string_view token) const {
  for (const auto& [n, value] : headers) {
    if (n != name) continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      if (equalsIgnoreCase(trimSpaces(rest.substr(0, comma)), token)) return true;
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  return false;
}

int httpStatusFor(HttpParse result) {
  switch (result) {
    case HttpParse::kHeadTooLarge: return 431;
    case HttpParse::kBodyTooLarge: return 413;
    case HttpParse::kNotImplemented: return 501;
    default: return 400;
  }
}

}  // namespace polis::net
