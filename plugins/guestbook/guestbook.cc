// The guestbook as a native plugin: the same service (game.Guestbook,
// proto/game/guestbook.proto) and commands as scripts/lua/guestbook.lua, so
// a caller cannot tell which one answers. Its entries are its state: handed
// to the next build at a reload (saveState / the constructor), so they
// survive `polis-ctl reload plugins`. See docs/plugins.md.
#include <polis/plugin.h>

#include <chrono>
#include <deque>
#include <stdexcept>

#include "game/guestbook.polis_plugin.h"

namespace {

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class Guestbook final : public game::gen::Guestbook::Service {
 public:
  // `state`: what the previous build's saveState() returned (empty at the first load).
  explicit Guestbook(std::string_view state) {
    game::Entries saved;
    if (!state.empty() && saved.ParseFromArray(state.data(), static_cast<int>(state.size()))) {
      for (auto& e : *saved.mutable_entries()) entries_.push_back(std::move(e));
      if (!entries_.empty()) next_id_ = entries_.back().entry_id() + 1;
    }
    if (auto max = polis::plugin::config("max_entries")) {
      // A bad value fails this load, naming the key; the previous build keeps serving.
      if (max->empty() || max->find_first_not_of("0123456789") != std::string::npos || max->size() > 9) {
        throw std::runtime_error("plugins.guestbook.config.max_entries: not a count: '" + *max + "'");
      }
      max_entries_ = std::stoul(*max);
    }
    auto added = polis::plugin::command(
        "guestbook.trim", "keep only the newest entries",
        {{"keep", POLIS_ARG_INT, true, "how many entries to keep (0 clears the book)"}},
        [this](polis::plugin::CommandArgs args) -> polis::Task<polis::Result<std::string>> {
          long long keep = std::stoll(args["keep"]);
          if (keep < 0) co_return polis::Error{polis::Errc::kInvalidArgument, "keep must be 0 or more"};
          size_t before = entries_.size();
          while (entries_.size() > static_cast<size_t>(keep)) entries_.pop_front();
          co_return "kept " + std::to_string(entries_.size()) + " of " + std::to_string(before) + " entries";
        });
    if (!added) throw std::runtime_error(added.error().message);
    added = polis::plugin::command(
        "guestbook.stats", "entries in the book and signatures since this build was loaded", {},
        [this](polis::plugin::CommandArgs) -> polis::Task<polis::Result<std::string>> {
          co_return std::to_string(entries_.size()) + " entries, " + std::to_string(signed_) +
              " signed since load, next id " + std::to_string(next_id_);
        });
    if (!added) throw std::runtime_error(added.error().message);
    polis::plugin::info("guestbook ready with " + std::to_string(entries_.size()) + " entries");
  }

  std::string saveState() const {
    game::Entries all;
    for (const auto& e : entries_) *all.add_entries() = e;
    return all.SerializeAsString();
  }

  polis::Task<polis::Result<game::SignAck>> Sign(polis::Call&, const game::Sign& req) override {
    if (req.name().empty()) co_return polis::Error{polis::Errc::kInvalidArgument, "name is empty"};
    game::Entry entry;
    entry.set_entry_id(next_id_++);
    entry.set_name(req.name());
    entry.set_text(req.text());
    entry.set_signed_at_ms(nowMs());
    entries_.push_back(entry);
    ++signed_;
    if (entries_.size() > max_entries_) entries_.pop_front();
    game::SignAck ack;
    ack.set_entry_id(entry.entry_id());
    ack.set_total(entries_.size());
    co_return ack;
  }

  polis::Task<polis::Result<game::Entries>> Latest(polis::Call&, const game::Latest& req) override {
    size_t limit = req.limit() == 0 || req.limit() > 100 ? 100 : req.limit();
    game::Entries out;
    for (auto it = entries_.rbegin(); it != entries_.rend() && static_cast<size_t>(out.entries_size()) < limit; ++it) {
      *out.add_entries() = *it;
    }
    co_return out;
  }

 private:
  std::deque<game::Entry> entries_;  // oldest first
  uint64_t next_id_ = 1;
  uint64_t signed_ = 0;  // not part of the saved state: counts from each load
  size_t max_entries_ = 1000;
};

}  // namespace

POLIS_PLUGIN(Guestbook)
