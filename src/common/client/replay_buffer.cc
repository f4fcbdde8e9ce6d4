#include "client/replay_buffer.h"

namespace polis::client {

uint64_t ReplayBuffer::append(std::string frame, Clock::time_point now) {
  bytes_ += frame.size();
  entries_.push_back({std::move(frame), now});
  return ++sent_;
}

ReplayBuffer::Ack ReplayBuffer::acknowledge(uint64_t count) {
  if (count > sent_) return Ack::kAhead;
  while (acked_ < count) {
    bytes_ -= entries_.front().frame.size();
    entries_.pop_front();
    ++acked_;
  }
  return Ack::kOk;
}

std::optional<std::vector<std::string_view>> ReplayBuffer::after(uint64_t count) const {
  if (count > sent_ || count < acked_) return std::nullopt;
  std::vector<std::string_view> frames;
  frames.reserve(sent_ - count);
  for (size_t i = count - acked_; i < entries_.size(); ++i) frames.push_back(entries_[i].frame);
  return frames;
}

bool ReplayBuffer::exceeded(Clock::time_point now) const {
  if (bytes_ > limits_.max_bytes) return true;
  return !entries_.empty() && now - entries_.front().sent_at > limits_.max_age;
}

}  // namespace polis::client
