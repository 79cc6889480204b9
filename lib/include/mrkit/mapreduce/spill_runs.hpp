// Sorted runs of (key, value) pairs on disk, and their k-way merge: what the engine writes when
// a rank's combine table outgrows its memory budget (mapreduce/memory_budget.hpp), and reads
// back at the end.
//
//   mrkit::SpillRunWriter<K, V> out(scratch, buffer_bytes);   // a new file in the ScratchDir
//   for (section...) { for (pairs sorted by key...) out.add(k, v); out.next_section(); }
//   mrkit::SpillRun run = out.finish(sections);               // every write checked
//
//   std::vector<mrkit::RunCursor<K, V>> cursors;              // section s of every run
//   cursors.emplace_back(file, run.bounds[s], run.bounds[s + 1], buffer_bytes);
//   mrkit::RunMerge<K, V, Combine> merged(std::move(cursors), combine);
//   while (merged.next(key, value)) ...                       // each key once, ascending
//
// A run is one file of sections (the engine's: one per owner rank), each a sequence of records
// sorted by key with each key at most once: an 8-byte length, then the key and the value in the
// engine's item codec (mapreduce/detail/item_codec.hpp). The merge combines the values of equal
// keys in run order (the first cursor's value first), so with a concatenating combine the value
// lists come out in run order. Keys need operator< and operator==.
#pragma once

#include "mrkit/comm/byte_codec.hpp"
#include "mrkit/io/scratch_dir.hpp"
#include "mrkit/mapreduce/detail/item_codec.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace mrkit {

// One run on disk: section s is bytes [bounds[s], bounds[s + 1]) of `path`.
struct SpillRun {
  std::string path;
  std::vector<std::uint64_t> bounds;
  std::uint64_t pairs = 0;
  [[nodiscard]] std::uint64_t bytes() const noexcept { return bounds.empty() ? 0 : bounds.back(); }
  [[nodiscard]] std::size_t sections() const noexcept {
    return bounds.empty() ? 0 : bounds.size() - 1;
  }
};

// Writes one run into a new file of a ScratchDir, through a buffer of `buffer_bytes`.
template <class K, class V>
class SpillRunWriter {
 public:
  SpillRunWriter(const ScratchDir& scratch, std::size_t buffer_bytes)
      : path_(scratch.new_file_path("run")), file_(path_, scratch.path(), buffer_bytes) {
    bounds_.push_back(0);
  }

  // Appends a pair to the current section; keys must come in ascending order within it. A
  // std::string key may be given as a std::string_view.
  template <class Key>
  void add(const Key& key, const V& value) {
    record_.assign(8, '\0');
    ByteWriter out(record_);
    if constexpr (std::is_same_v<K, std::string>) {
      out.piece(std::string_view(key));
    } else {
      detail::put_item<K>(out, key);
    }
    detail::put_item<V>(out, value);
    detail::store_little<std::uint64_t>(record_.data(), record_.size() - 8);
    file_.write(record_);
    ++pairs_;
  }

  // Ends the current section (the next pairs go to the next one).
  void next_section() { bounds_.push_back(file_.offset()); }

  // Ends sections until there are `sections` of them, closes the file (checked) and says where
  // it is. The writer is done.
  [[nodiscard]] SpillRun finish(std::size_t sections) {
    while (bounds_.size() < sections + 1) bounds_.push_back(file_.offset());
    file_.close();
    return SpillRun{path_, std::move(bounds_), pairs_};
  }

 private:
  std::string path_;
  SpillFileWriter file_;
  std::vector<std::uint64_t> bounds_;
  std::string record_;
  std::uint64_t pairs_ = 0;
};

// Reads the records of bytes [begin, end) of a run file, in order, through a buffer of about
// `buffer_bytes` (more for a record that does not fit).
template <class K, class V>
class RunCursor {
 public:
  RunCursor(std::shared_ptr<const SpillFileReader> file, std::uint64_t begin, std::uint64_t end,
            std::size_t buffer_bytes)
      : file_(std::move(file)),
        at_(begin),
        end_(end),
        buffer_bytes_(std::max<std::size_t>(buffer_bytes, 16)) {}

  // The next pair; false at the end of the range. Throws std::runtime_error for a torn record.
  bool next(K& key, V& value) {
    if (!fill(8)) return false;
    const auto length = detail::load_little<std::uint64_t>(buffer_.data() + used_);
    if (length > end_ - at_ + (buffer_.size() - used_ - 8) || !fill(8 + length)) {
      throw std::runtime_error("torn record in the scratch file '" + file_->path() + "'");
    }
    ByteReader in(std::string_view(buffer_).substr(used_ + 8, length),
                  "torn record in a scratch file");
    key = detail::get_item<K>(in);
    value = detail::get_item<V>(in);
    in.expect_done();
    used_ += 8 + static_cast<std::size_t>(length);
    return true;
  }

  // Bytes read from the file so far.
  [[nodiscard]] std::uint64_t bytes_read() const noexcept { return bytes_read_; }

 private:
  // Makes `need` unread bytes available; false if the range ends first with none unread, throws
  // if it ends inside a record.
  bool fill(std::uint64_t need) {
    std::size_t unread = buffer_.size() - used_;
    if (unread >= need) return true;
    if (unread == 0 && at_ == end_) return false;
    if (end_ - at_ < need - unread) {
      throw std::runtime_error("torn record in the scratch file '" + file_->path() + "'");
    }
    buffer_.erase(0, used_);
    used_ = 0;
    const std::uint64_t want = std::max<std::uint64_t>(need - unread, buffer_bytes_);
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(want, end_ - at_));
    buffer_.resize(unread + n);
    file_->read_at(at_, buffer_.data() + unread, n);
    at_ += n;
    bytes_read_ += n;
    return true;
  }

  std::shared_ptr<const SpillFileReader> file_;
  std::uint64_t at_;
  std::uint64_t end_;
  std::size_t buffer_bytes_;
  std::string buffer_;
  std::size_t used_ = 0;
  std::uint64_t bytes_read_ = 0;
};

// The k-way merge of cursors over key-sorted records (a binary heap): each key once, in
// ascending order, with the values of equal keys combined in cursor order.
template <class K, class V, class Combine>
class RunMerge {
 public:
  RunMerge(std::vector<RunCursor<K, V>> cursors, Combine& combine)
      : cursors_(std::move(cursors)), combine_(&combine) {
    heap_.reserve(cursors_.size());
    for (std::size_t i = 0; i < cursors_.size(); ++i) pull(i);
  }

  bool next(K& key, V& value) {
    if (heap_.empty()) return false;
    Head head = pop();
    pull(head.source);
    while (!heap_.empty() && heap_.front().key == head.key) {
      Head same = pop();
      pull(same.source);
      head.value = (*combine_)(std::move(head.value), std::move(same.value));
    }
    key = std::move(head.key);
    value = std::move(head.value);
    return true;
  }

  // Bytes the cursors read from their files so far.
  [[nodiscard]] std::uint64_t bytes_read() const noexcept {
    std::uint64_t n = 0;
    for (const auto& c : cursors_) n += c.bytes_read();
    return n;
  }

 private:
  struct Head {
    K key;
    V value;
    std::size_t source;
  };
  // A max-heap on "after": the smallest (key, source) on top.
  static bool after(const Head& a, const Head& b) {
    if (b.key < a.key) return true;
    if (a.key < b.key) return false;
    return a.source > b.source;
  }
  Head pop() {
    std::pop_heap(heap_.begin(), heap_.end(), after);
    Head head = std::move(heap_.back());
    heap_.pop_back();
    return head;
  }
  void pull(std::size_t source) {
    Head head{K{}, V{}, source};
    if (!cursors_[source].next(head.key, head.value)) return;
    heap_.push_back(std::move(head));
    std::push_heap(heap_.begin(), heap_.end(), after);
  }

  std::vector<RunCursor<K, V>> cursors_;
  Combine* combine_;
  std::vector<Head> heap_;
};

}  // namespace mrkit
