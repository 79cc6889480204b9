#include "ngram_source.hpp"

#include <mrkit/mapreduce/range_records.hpp>
#include <mrkit/mapreduce/task_yield.hpp>
#include <mrkit/text/word_scan.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace mrkit::apps {

bool GramWindow::push(std::string_view word, const GramFunction& f) {
  if (count_ == ring_.size()) ring_.emplace_back();  // only before the first gram: start_ is 0
  ring_[(start_ + count_) % ring_.size()].assign(word);
  if (++count_ < n_) return false;
  gram_.clear();
  for (std::size_t i = 0; i < n_; ++i) {
    if (i > 0) gram_ += ' ';
    gram_ += ring_[(start_ + i) % n_];
  }
  f(gram_);
  start_ = (start_ + 1) % n_;
  --count_;
  return true;
}

namespace {

struct Enough {};  // ends a read-ahead once its grams are complete

constexpr std::size_t read_ahead_block = std::size_t{16} << 10;

// Completes the grams of the words waiting in `window` (the task's last words in `file`) with
// the words of `file` that begin at or after `from` (the end of the last of them): each gram
// completed is that of the first task word still waiting; the read stops after the last one.
void read_ahead(const InputFile& file, std::uint64_t from, bool ignore_case, GramWindow& window,
                const GramFunction& f, std::uint64_t* bytes) {
  if (window.waiting() == 0 || from >= file.size) return;
  int fd = -1;
  ReadAt read;
  if (file.content) {
    read = memory_reader(*file.content);
  } else {
    fd = ::open(file.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      throw std::runtime_error("cannot open '" + file.path + "': " + std::strerror(errno));
    }
    read = pread_reader(fd, file.path);
  }
  const ReadAt counted = [&](std::uint64_t offset, std::span<char> into) {
    const std::size_t got = read(offset, into);
    if (bytes != nullptr) *bytes += got;
    return got;
  };
  std::size_t own = window.waiting();  // this task's words still without their gram
  RangeReadOptions options;
  options.block_bytes = read_ahead_block;
  options.after_block = [] { yield_in_task(); };
  try {
    for_each_word(
        counted, file.path, file.size, from, file.size,
        [&](std::string_view word, std::uint64_t) {
          if (window.push(word, f) && --own == 0) throw Enough{};
        },
        ignore_case, options);
  } catch (const Enough&) {  // every waiting word has its gram
  } catch (...) {
    if (fd >= 0) ::close(fd);
    throw;
  }
  if (fd >= 0) ::close(fd);
  window.clear();  // grams cut short by the end of the file: none
}

}  // namespace

void for_each_ngram(const FileSource& source, std::uint64_t task, std::size_t n, bool ignore_case,
                    const GramFunction& f, std::uint64_t* read_ahead_bytes) {
  if (n == 1) {
    source.for_each_word(
        task, [&](const Record& word) { f(word.bytes); }, ignore_case);
    return;
  }
  GramWindow window(n);
  std::size_t file = 0;
  std::uint64_t last_end = 0;
  bool any = false;
  const auto finish = [&] {
    if (any) read_ahead(source.files()[file], last_end, ignore_case, window, f, read_ahead_bytes);
    window.clear();
  };
  source.for_each_word(
      task,
      [&](const Record& word) {
        if (!any || word.file != file) {
          finish();
          file = word.file;
          any = true;
        }
        last_end = word.offset + word.bytes.size();
        window.push(word.bytes, f);
      },
      ignore_case);
  finish();
}

}  // namespace mrkit::apps
