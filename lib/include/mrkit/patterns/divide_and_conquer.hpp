// The course's divide and conquer ("diviser pour régner") across ranks: the first rank of a group
// holds a problem, cuts it in two and gives each part to part of the ranks (a communicator split;
// any rank count, not only powers of two), small problems are solved directly, and solutions are
// combined on the way back until the first rank holds the answer.
#pragma once

#include "mrkit/comm/message_codec.hpp"

#include <boost/mpi/collectives.hpp>
#include <boost/mpi/communicator.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mrkit {

// One node of the divide-and-conquer tree, kept for teaching (dcsort --trace).
struct DivideNode {
  std::string path;      // "" for the whole problem, then 'L' or 'R' for each division
  int rank = 0;          // the rank (of the caller's communicator) that held this problem
  int first_rank = 0;    // the first of the ranks that worked on it
  int ranks = 1;         // how many ranks worked on it
  int helper = -1;       // the rank that combined together with `rank`, if any
  bool divided = false;  // false: solved directly by `rank`
  std::string problem;   // describe_problem(problem), if given
  std::string solution;  // describe_solution(solution), if given
  double seconds = 0;    // solving (a leaf) or combining (a divided node) on `rank`

  [[nodiscard]] std::size_t depth() const noexcept { return path.size(); }

  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    ar& path& rank& first_rank& ranks& helper& divided& problem& solution& seconds;
  }
};

// Every node of one run, in depth-first order (a node, its left subtree, its right subtree).
using DivideTree = std::vector<DivideNode>;

// The recipe. `divide`, `solve` and `combine` are required; the rest has defaults.
template <class Problem, class Solution>
struct DivideAndConquer {
  // Cuts a problem in two; the left part should carry about `left_share` (0 < share < 1) of the
  // work, because it goes to that share of the ranks.
  std::function<std::pair<Problem, Problem>(Problem&& problem, double left_share)> divide;
  // Optional, used instead of `divide` when the parts go to different ranks: keeps the left part
  // and hands the bytes of the right part (what encode() would give) to `send_right`, which sends
  // them at once: the right part need not be copied out first.
  std::function<Problem(Problem&& problem, double left_share,
                        const std::function<void(std::string_view bytes)>& send_right)>
      divide_and_send;
  std::function<Solution(Problem&& problem)> solve;
  std::function<Solution(Solution&& left, Solution&& right)> combine;
  // Optional: combine with both holders at work, when the halves are on different ranks. It is
  // called on rank 0 of `group` with the left solution and on rank `right` with the right one,
  // and returns the combined solution on rank 0 (nothing on `right`). Without it, the right
  // solution travels to rank 0, which combines alone.
  std::function<std::optional<Solution>(const boost::mpi::communicator& group, int right,
                                        Solution&& mine)>
      combine_together;
  // Solve directly instead of dividing? Default: when one rank holds the problem. Returning
  // false on one rank keeps halving there, both halves solved in turn (the course's figure
  // goes down to single keys).
  std::function<bool(const Problem& problem, int ranks)> is_small;
  // Short texts for the tree (optional).
  std::function<std::string(const Problem&)> describe_problem;
  std::function<std::string(const Solution&)> describe_solution;
};

// How many of `ranks` ranks take the left part (the others take the right part): half, rounded
// down, so the first rank of a group keeps the smaller side and has less waiting to do.
[[nodiscard]] int left_ranks(int ranks);

// Collects every rank's nodes on rank 0 of `comm` in depth-first order (collective).
[[nodiscard]] DivideTree gather_divide_tree(const boost::mpi::communicator& comm,
                                            std::vector<DivideNode> local);

// The tree as indented text: "divide", "solve" and "combine" lines naming ranks.
[[nodiscard]] std::string render_divide_tree(const DivideTree& tree);

}  // namespace mrkit

// The recursion (detail::Divider), after the types above that it uses.
#include "mrkit/patterns/detail/divider.hpp"

namespace mrkit {

// Solves `problem`, held by rank 0 of `comm` (other ranks pass an empty Problem{}), on all ranks
// of `comm` (collective). Returns the solution on rank 0 and nothing elsewhere. Problems and
// solutions travel with send_value/recv_value (message_codec.hpp): any size. With `tree` given
// (on every rank or on none), rank 0 receives the whole divide-and-conquer tree.
template <class Problem, class Solution>
[[nodiscard]] std::optional<Solution> divide_and_conquer(
    const boost::mpi::communicator& comm, Problem problem,
    const DivideAndConquer<Problem, Solution>& how, DivideTree* tree = nullptr) {
  // A private communicator: these messages never meet the caller's.
  const boost::mpi::communicator group(comm, boost::mpi::comm_duplicate);
  std::vector<DivideNode> nodes;
  detail::Divider<Problem, Solution> divider(how, tree != nullptr ? &nodes : nullptr);
  std::optional<Solution> solution = divider.step(group, 0, std::move(problem), "");
  if (tree != nullptr) *tree = gather_divide_tree(group, std::move(nodes));
  return solution;
}

}  // namespace mrkit
