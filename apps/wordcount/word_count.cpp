#include "word_count.hpp"
#include "word_count_record.hpp"

#include <mrkit/comm/byte_codec.hpp>
#include <mrkit/comm/reduce.hpp>
#include <mrkit/core/clock.hpp>
#include <mrkit/core/runtime.hpp>
#include <mrkit/mapreduce/file_source.hpp>
#include <mrkit/mapreduce/map_phase.hpp>
#include <mrkit/mapreduce/sorted_output.hpp>
#include <mrkit/mapreduce/task_yield.hpp>
#include <mrkit/tasks/checkpointed_tasks.hpp>
#include <mrkit/text/word_reduce.hpp>
#include <mrkit/version.hpp>

#include <fmt/format.h>
#include <boost/mpi/collectives.hpp>

#include <optional>
#include <string_view>
#include <utility>

namespace mrkit {
namespace {

// What a rank (or one checkpoint record, or one copy of a task) has counted: the words of each
// file piece, folded into per-file totals from time to time, and the word table.
struct WordTally {
  std::vector<FileSource::PieceWords> pieces;  // not yet folded into per_file
  std::vector<std::uint64_t> per_file;         // empty until the first fold
  WordCounts table;

  void fold(std::size_t files) {
    if (pieces.empty()) return;
    if (per_file.size() < files) per_file.resize(files);
    for (const auto& [file, words] : pieces) per_file[file] += words;
    pieces.clear();
  }
};

// The map phase's accumulator operations (mapreduce/map_phase.hpp) for a WordTally; a
// checkpoint record is word_count_record.hpp's.
struct WordTallyOps {
  std::size_t files = 0;
  bool frequencies = false;

  void merge(WordTally& into, WordTally& from) const {
    from.fold(files);
    into.fold(files);
    if (!from.per_file.empty()) {
      into.per_file.resize(files);
      for (std::size_t f = 0; f < files; ++f) into.per_file[f] += from.per_file[f];
    }
    if (into.table.empty()) {
      std::swap(into.table, from.table);
    } else {
      into.table.merge(from.table);
    }
    from = WordTally{};
  }
  [[nodiscard]] std::string encode(const WordTally& tally) const {
    std::vector<std::pair<std::size_t, std::uint64_t>> counts;
    for (std::size_t f = 0; f < tally.per_file.size(); ++f) {
      if (tally.per_file[f] != 0) counts.emplace_back(f, tally.per_file[f]);
    }
    for (const auto& [file, words] : tally.pieces) counts.emplace_back(file, words);
    return wordcount::encode_task(counts, frequencies ? &tally.table : nullptr);
  }
  void merge_encoded(WordTally& into, std::string_view bytes) const {
    into.fold(files);
    into.per_file.resize(files);
    wordcount::merge_task(bytes, into.per_file, frequencies ? &into.table : nullptr);
  }
};

// What makes two runs the same job: the options that change results, and the input (its
// split, and every file's path, size and modification time: FileSource::fingerprint).
std::string job_fingerprint(const WordCountOptions& o, const FileSource& source) {
  return fmt::format("job wordcount {}\nfrequencies {}\nignore_case {}\n{}", version, o.frequencies,
                     o.ignore_case, source.fingerprint());
}

}  // namespace

namespace wordcount {

std::string encode_task(const std::vector<std::pair<std::size_t, std::uint64_t>>& counts,
                        const WordCounts* table) {
  std::string out;
  ByteWriter writer(out);
  writer.u64(counts.size());
  for (const auto& [file, words] : counts) {
    writer.u64(file);
    writer.u64(words);
  }
  if (table != nullptr) writer.bytes(table->encode());
  return out;
}

void merge_task(std::string_view bytes, std::vector<std::uint64_t>& words_per_file,
                WordCounts* table) {
  ByteReader in(bytes, "truncated checkpoint record");
  const std::uint64_t n = in.u64();
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint64_t file = in.u64();
    const std::uint64_t words = in.u64();
    if (file >= words_per_file.size()) throw std::runtime_error("corrupt checkpoint record");
    words_per_file[static_cast<std::size_t>(file)] += words;
  }
  if (table != nullptr) table->merge_encoded(in.rest());
}

}  // namespace wordcount

WordCountResult count_words(const boost::mpi::communicator& comm,
                            const std::vector<std::string>& paths,
                            const WordCountOptions& options) {
  const auto start = Clock::now();
  if (options.task_time_limit > 0 && options.schedule != Schedule::dynamic) {
    throw UsageError("a task time limit needs the dynamic schedule");
  }
  WordCountResult result;
  result.ranks = comm.size();

  // The mother lists the inputs, the ranks ask their sizes; all learn the same list or error.
  // With a checkpoint the default split size does not depend on the rank count.
  FileSourceOptions source_options;
  source_options.split_bytes = options.split_bytes;
  source_options.schedule = options.schedule;
  source_options.same_tasks_at_every_rank_count = !options.checkpoint_dir.empty();
  source_options.block_bytes = options.buffer_bytes;
  const FileSource source(comm, paths, source_options);
  result.files = source.files();
  result.warnings = source.warnings();
  result.split_bytes = source.split_bytes();
  result.tasks = source.tasks();

  RankTimer timer;
  JobOptions job;
  job.schedule = options.schedule;
  job.progress = options.progress;
  job.checkpoint_dir = options.checkpoint_dir;
  job.fingerprint = job_fingerprint(options, source);
  // Runs of consecutive tasks are recorded together (one file, one fsync each): enough for
  // 16 KiB of input, at most 4096 records (--split-bytes 1 would otherwise write a file per
  // byte); from the split and task count alone, so a checkpoint resumes at any rank count.
  job.tasks_per_record =
      tasks_per_record(result.split_bytes, std::uint64_t{16} << 10, result.tasks);
  job.timer = &timer;
  if (options.task_time_limit > 0) {
    // A task may run as several copies: each counts aside and commits only if it finished first.
    job.dynamic.task_time_limit = options.task_time_limit;
    job.dynamic.reissue = true;
    job.dynamic.on_straggler = options.on_straggler;  // reports name the record's first task
  }

  // The map: the words of each task, counted per file piece and tabulated by the word scanner.
  const Yield yield = [] { yield_in_task(); };
  const std::size_t files = result.files.size();
  auto map_into = [&](std::uint64_t task, WordTally& tally) {
    if (options.before_task) options.before_task(task, yield);
    source.count_words(task, options.frequencies ? &tally.table : nullptr, options.ignore_case,
                       tally.pieces);
    if (tally.pieces.size() >= 4096) tally.fold(files);
  };
  WordTallyOps ops{files, options.frequencies};
  MapPhase<WordTally> phase =
      run_map_phase<WordTally>(comm, result.tasks, map_into, ops, job, "wordcount");
  phase.local.fold(files);
  result.resumed_tasks = phase.resumed_tasks;
  for (std::string& w : phase.warnings) result.warnings.push_back(std::move(w));
  timer.add_io_inside_tasks(source.io_seconds());
  timer.add_bytes(source.bytes_read());  // also counts copies another rank beat
  timer.note_data_bytes(phase.local.table.memory_bytes());

  // The reduce: per-file totals to the mother; the word tables by hash to their owners.
  std::optional<RankTimer::Scope> reducing(std::in_place, timer, TimeBucket::wait);
  result.words_per_file = std::move(phase.local.per_file);
  result.words_per_file.resize(files);
  sum_to_root(comm, result.words_per_file, mother_rank);
  if (comm.rank() == mother_rank) {
    for (const std::uint64_t n : result.words_per_file) result.total_words += n;
  }
  if (options.frequencies) {
    WordCounts mine = exchange_word_counts(comm, std::move(phase.local.table));
    timer.note_data_bytes(mine.memory_bytes());
    result.distinct_words = sum_all(comm, mine.size());
    if (options.top == 0 && options.spread_all) {
      // The whole vocabulary never meets on one rank: a sample sort in output order (count
      // descending, then word), each rank keeping its range.
      std::vector<std::pair<std::string, std::uint64_t>> pairs;
      pairs.reserve(mine.size());
      mine.for_each([&](std::string_view w, std::uint64_t n, std::uint64_t) {
        pairs.emplace_back(std::string(w), n);
      });
      mine = WordCounts{};
      pairs = sort_across_ranks(comm, std::move(pairs), by_value_descending);
      result.top.reserve(pairs.size());
      for (auto& [word, n] : pairs) result.top.push_back({std::move(word), n});
      boost::mpi::broadcast(comm, result.total_words, mother_rank);
    } else {
      result.top = gather_top_k(comm, mine, options.top, mother_rank);
    }
  }
  reducing.reset();

  for (std::string& w : source.changed_files(comm)) result.warnings.push_back(std::move(w));
  result.rank_times = gather_rank_times(comm, timer, mother_rank);
  if (comm.rank() != mother_rank) result.rank_times = {timer.snapshot(comm.rank())};
  result.seconds = seconds_since(start);
  return result;
}

}  // namespace mrkit
