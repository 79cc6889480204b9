// The word-count map-reduce job: the mother lists the inputs, the byte space is cut into
// tasks, ranks count the words that begin in their tasks (and tabulate them when asked), and
// the counts are reduced to the mother. Results are the same for every rank count, schedule
// and split size.
#pragma once

#include <mrkit/io/input_files.hpp>
#include <mrkit/tasks/rank_stats.hpp>
#include <mrkit/tasks/scheduler.hpp>
#include <mrkit/text/word_counts.hpp>

#include <boost/mpi/communicator.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace mrkit {

struct WordCountOptions {
  Schedule schedule = Schedule::dynamic;
  std::uint64_t split_bytes = 0;  // bytes per task; 0 picks a balanced size
  bool frequencies = false;       // tabulate words, not only count them
  bool ignore_case = false;       // fold ASCII letters before tabulating
  std::uint64_t top = 0;          // with frequencies: keep the top N (0: all)
  // With frequencies and top 0: sort the whole vocabulary across the ranks and leave each rank
  // its range of it in `top` (the ranges in rank order are the output order), instead of
  // gathering it on the mother; total_words then reaches every rank.
  bool spread_all = false;
  std::size_t buffer_bytes = std::size_t{1} << 20;
  Progress progress;  // optional, called on the mother as tasks start (see scheduler.hpp)
  // A directory (shared by all ranks) where finished tasks are recorded; a re-run of the same
  // job resumes from it. Empty: no checkpoint. With a checkpoint the default split size does
  // not depend on the rank count, so a run may resume on another number of ranks.
  std::string checkpoint_dir;
  // Dynamic schedule only: a task still running after this many seconds is reported (to
  // on_straggler, else as a warning on stderr) and, once every task is handed out, re-issued to
  // an idle rank; the first copy to finish counts. 0: no limit (and no scratch copies).
  double task_time_limit = 0;
  std::function<void(const StragglerReport&)> on_straggler;  // on the mother
  // Called on the rank that runs a task, before each copy of it counts, with the task's number
  // (as in the checkpoint: tasks of split_bytes, from 0) and the scheduler's yield: long work
  // in it calls yield often (a copy another rank beat is abandoned there). Empty: nothing. The
  // end-to-end tests make a task slow with it (tests/CMakeLists.txt: wordcount_hooked).
  std::function<void(std::uint64_t task, const Yield& yield)> before_task;
};

// Complete on the mother; other ranks hold only their own stats.
struct WordCountResult {
  std::vector<InputFile> files;
  std::vector<std::uint64_t> words_per_file;
  std::uint64_t total_words = 0;
  std::uint64_t distinct_words = 0;  // with frequencies
  std::vector<WordCount> top;        // with frequencies, in output order (see spread_all)
  std::vector<std::string> warnings;
  // Per rank, in rank order: compute (scanning), I/O (opening and reading), wait (for tasks,
  // and the reduction of counts and tables), tasks, bytes read, the word table's largest size
  // as data bytes, and peak memory. Complete on the mother; other ranks hold their own.
  std::vector<RankTimes> rank_times;
  std::uint64_t split_bytes = 0;
  std::uint64_t tasks = 0;
  std::uint64_t resumed_tasks = 0;  // tasks taken from the checkpoint
  int ranks = 1;
  double seconds = 0;
};

// Collective: every rank calls it with the same arguments. Throws InputError on every rank for
// bad input (missing path, no files), UsageError for bad options.
[[nodiscard]] WordCountResult count_words(const boost::mpi::communicator& comm,
                                          const std::vector<std::string>& paths,
                                          const WordCountOptions& options);

}  // namespace mrkit
