// Private to the library: the recursion behind mrkit::divide_and_conquer. Included by
// patterns/divide_and_conquer.hpp after the recipe's types (DivideAndConquer, DivideNode,
// left_ranks), which it uses; not meant to be included on its own.
#pragma once

#include "mrkit/comm/message_codec.hpp"
#include "mrkit/core/clock.hpp"
#include "mrkit/core/tags.hpp"

#include <boost/mpi/communicator.hpp>

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mrkit::detail {

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

}  // namespace mrkit::detail
