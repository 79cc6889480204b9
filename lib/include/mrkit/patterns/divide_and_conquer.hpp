// The course's divide and conquer ("diviser pour régner") across ranks: the first rank of a group
// holds a problem, cuts it in two and gives each part to part of the ranks (a communicator split;
// any rank count, not only powers of two), small problems are solved directly, and solutions are
// combined on the way back until the first rank holds the answer.
#pragma once

#include "mrkit/comm/message_codec.hpp"
#include "mrkit/core/clock.hpp"
#include "mrkit/core/tags.hpp"

#include <boost/mpi/collectives.hpp>
#include <boost/mpi/communicator.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
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

namespace detail {

// Whether the first rank divides: it alone sees the problem, so it tells the others.
bool broadcast_decision(const boost::mpi::communicator& group, bool divide);

template <class Problem, class Solution>
class Divider {
 public:
  Divider(const DivideAndConquer<Problem, Solution>& how, std::vector<DivideNode>* nodes)
      : how_(how), nodes_(nodes) {}

  // One step on a group whose rank 0 holds `problem`; returns the solution on rank 0.
  std::optional<Solution> step(const boost::mpi::communicator& group, int first, Problem problem,
                               const std::string& path) {
    const int p = group.size();
    const int me = group.rank();
    if (p == 1) return on_one_rank(first, std::move(problem), path);

    bool divide = false;
    if (me == 0) divide = !small(problem, p);
    divide = broadcast_decision(group, divide);
    if (!divide) {
      if (me != 0) return std::nullopt;
      return leaf(first, first, p, std::move(problem), path);
    }

    const int left = left_ranks(p);
    std::size_t node = 0;
    Problem mine{};
    if (me == 0) {
      node = record(path, first, first, p, true, problem);
      const double share = static_cast<double>(left) / static_cast<double>(p);
      if (how_.divide_and_send) {
        mine = how_.divide_and_send(std::move(problem), share, [&](std::string_view bytes) {
          send_bytes(group, left, tags::divide_problem, bytes);
        });
      } else {
        auto parts = how_.divide(std::move(problem), share);
        mine = std::move(parts.first);
        send_value(group, left, tags::divide_problem, parts.second);
      }
    } else if (me == left) {
      mine = recv_value<Problem>(group, 0, tags::divide_problem);
    }
    const bool on_left = me < left;
    const boost::mpi::communicator half = group.split(on_left ? 0 : 1, me);
    std::optional<Solution> solved =
        step(half, on_left ? first : first + left, std::move(mine), path + (on_left ? 'L' : 'R'));

    if (how_.combine_together) {
      if (me != 0 && me != left) return std::nullopt;
      const auto start = Clock::now();
      std::optional<Solution> together = how_.combine_together(group, left, std::move(*solved));
      if (me != 0) return std::nullopt;
      if (!together) throw std::logic_error("combine_together gave rank 0 no solution");
      note_solution(node, *together, seconds_since(start));
      if (nodes_ != nullptr) (*nodes_)[node].helper = first + left;
      return together;
    }
    if (me == left) {
      send_value(group, 0, tags::divide_solution, *solved);
      return std::nullopt;
    }
    if (me != 0) return std::nullopt;
    Solution right = recv_value<Solution>(group, left, tags::divide_solution);
    return finish(node, std::move(*solved), std::move(right));
  }

 private:
  bool small(const Problem& problem, int ranks) const {
    return how_.is_small ? how_.is_small(problem, ranks) : ranks == 1;
  }

  // One rank: solve, or (if the recipe says the problem is not small) halve it here.
  std::optional<Solution> on_one_rank(int rank, Problem problem, const std::string& path) {
    if (small(problem, 1)) return leaf(rank, rank, 1, std::move(problem), path);
    const std::size_t node = record(path, rank, rank, 1, true, problem);
    auto parts = how_.divide(std::move(problem), 0.5);
    std::optional<Solution> left = on_one_rank(rank, std::move(parts.first), path + 'L');
    std::optional<Solution> right = on_one_rank(rank, std::move(parts.second), path + 'R');
    return finish(node, std::move(*left), std::move(*right));
  }

  std::optional<Solution> leaf(int rank, int first, int ranks, Problem problem,
                               const std::string& path) {
    const std::size_t node = record(path, rank, first, ranks, false, problem);
    const auto start = Clock::now();
    Solution solution = how_.solve(std::move(problem));
    note_solution(node, solution, seconds_since(start));
    return solution;
  }

  std::optional<Solution> finish(std::size_t node, Solution&& left, Solution&& right) {
    const auto start = Clock::now();
    Solution solution = how_.combine(std::move(left), std::move(right));
    note_solution(node, solution, seconds_since(start));
    return solution;
  }

  std::size_t record(const std::string& path, int rank, int first, int ranks, bool divided,
                     const Problem& problem) {
    if (nodes_ == nullptr) return 0;
    DivideNode n;
    n.path = path;
    n.rank = rank;
    n.first_rank = first;
    n.ranks = ranks;
    n.divided = divided;
    if (how_.describe_problem) n.problem = how_.describe_problem(problem);
    nodes_->push_back(std::move(n));
    return nodes_->size() - 1;
  }

  void note_solution(std::size_t node, const Solution& solution, double seconds) {
    if (nodes_ == nullptr) return;
    if (how_.describe_solution) (*nodes_)[node].solution = how_.describe_solution(solution);
    (*nodes_)[node].seconds = seconds;
  }

  const DivideAndConquer<Problem, Solution>& how_;
  std::vector<DivideNode>* nodes_;
};

}  // namespace detail

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
