// Every MPI message tag the library sends with, in one list. Point-to-point messages between the
// same two ranks on one communicator match by tag; two primitives running on one communicator must
// therefore never share a tag, and a program sending its own messages on a communicator the library
// also uses picks tags outside these (MPI guarantees tags up to at least 32767).
// The numbers are those the primitives always used; a new one takes a free number (the check at
// the end refuses a repeat).
#pragma once

namespace mrkit::tags {

// tasks/scheduler: a worker asks the mother for a task; the mother answers with one.
inline constexpr int scheduler_request = 1;
inline constexpr int scheduler_task = 2;
// tasks/scheduler, timed (copying) scheduling: {kind, task, nanoseconds} from a worker and
// {kind, task, commit} from the mother, one tag each way so each pair's messages stay in order.
inline constexpr int scheduler_timed_request = 3;
inline constexpr int scheduler_timed_reply = 4;

// comm/chunked_messages: the pieces of exchange_bytes (all-to-all) and of gather_bytes.
inline constexpr int exchange_pieces = 7301;
inline constexpr int gather_pieces = 7302;

// text/word_reduce: word tables travelling up the reduction tree.
inline constexpr int word_table_reduce = 7311;

// io/shared_output: a rank's bytes streaming to the root, piece by piece, when the ranks cannot
// share the output file.
inline constexpr int shared_output_piece = 7321;

// patterns/divide_and_conquer: a half of the problem going to the right group, and its solution
// coming back.
inline constexpr int divide_problem = 7401;
inline constexpr int divide_solution = 7402;

// patterns/merge_sort: the left asks the right for one key and gets the answer; the left tells the
// right where the split is; parts of the merge change hands.
inline constexpr int merge_query = 7411;
inline constexpr int merge_answer = 7412;
inline constexpr int merge_split = 7413;
inline constexpr int merge_part = 7414;

// patterns/sample_sort: keys going to the rank that owns their range.
inline constexpr int sample_sort_keys = 7421;

// patterns/pool: tasks from the mother to a worker, results back.
inline constexpr int pool_task = 7501;
inline constexpr int pool_result = 7502;

// patterns/channel: one message, and the end of the channel.
inline constexpr int channel_data = 7601;
inline constexpr int channel_end = 7602;

// patterns/shared_queue: requests to the host rank (put an item, get one, close, join) and its
// answers (an item, or "the queue is over").
inline constexpr int queue_put = 7701;
inline constexpr int queue_get = 7702;
inline constexpr int queue_close = 7703;
inline constexpr int queue_join = 7704;
inline constexpr int queue_item = 7705;
inline constexpr int queue_over = 7706;

// patterns/key_value_table: a request to the rank owning a key, and its reply.
inline constexpr int table_request = 7801;
inline constexpr int table_reply = 7802;

namespace detail {
inline constexpr int all[] = {scheduler_request,
                              scheduler_task,
                              scheduler_timed_request,
                              scheduler_timed_reply,
                              exchange_pieces,
                              gather_pieces,
                              word_table_reduce,
                              shared_output_piece,
                              divide_problem,
                              divide_solution,
                              merge_query,
                              merge_answer,
                              merge_split,
                              merge_part,
                              sample_sort_keys,
                              pool_task,
                              pool_result,
                              channel_data,
                              channel_end,
                              queue_put,
                              queue_get,
                              queue_close,
                              queue_join,
                              queue_item,
                              queue_over,
                              table_request,
                              table_reply};
constexpr bool all_distinct_and_valid() {
  for (const int a : all) {
    if (a < 0 || a > 32767) return false;
    int seen = 0;
    for (const int b : all) seen += a == b ? 1 : 0;
    if (seen != 1) return false;
  }
  return true;
}
}  // namespace detail
static_assert(detail::all_distinct_and_valid(),
              "two mrkit message tags are equal, or out of range");

}  // namespace mrkit::tags
