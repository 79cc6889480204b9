#include "mrkit/patterns/divide_and_conquer.hpp"

#include "mrkit/core/detail/mpi_check.hpp"

#include <fmt/format.h>
#include <mpi.h>

#include <algorithm>
#include <stdexcept>

namespace mrkit {
namespace {

std::string ranks_text(int first, int ranks) {
  return ranks == 1 ? fmt::format("rank {}", first)
                    : fmt::format("ranks {}-{}", first, first + ranks - 1);
}

// Renders the subtree that starts at tree[at]; returns the index just past it.
std::size_t render_from(const DivideTree& tree, std::size_t at, std::string& out) {
  const DivideNode& n = tree.at(at);
  const std::string indent(2 * n.depth(), ' ');
  const std::string problem = n.problem.empty() ? "" : n.problem + " ";
  if (!n.divided) {
    out += fmt::format("{}solve   {}on rank {}", indent, problem, n.rank);
    if (n.ranks > 1)
      out += fmt::format(" (small: {} not needed)", ranks_text(n.first_rank + 1, n.ranks - 1));
    if (!n.solution.empty()) out += " -> " + n.solution;
    out += '\n';
    return at + 1;
  }
  out += fmt::format("{}divide  {}on {}", indent, problem, ranks_text(n.first_rank, n.ranks));
  if (n.ranks > 1)
    out += fmt::format(", rank {} sends the right part to rank {}", n.rank,
                       n.first_rank + left_ranks(n.ranks));
  out += '\n';
  std::size_t next = at + 1;
  for (const char side : {'L', 'R'}) {
    if (next >= tree.size() || tree[next].path != n.path + side) {
      throw std::runtime_error("divide tree: node '" + n.path + side + "' is missing");
    }
    next = render_from(tree, next, out);
  }
  out += fmt::format("{}combine on rank {}", indent, n.rank);
  if (n.helper >= 0) out += fmt::format(" together with rank {}", n.helper);
  if (!n.solution.empty()) out += " -> " + n.solution;
  out += '\n';
  return next;
}

}  // namespace

int left_ranks(int ranks) {
  if (ranks < 2) throw std::invalid_argument("left_ranks: at least two ranks are needed");
  return ranks / 2;
}

namespace detail {

bool broadcast_decision(const boost::mpi::communicator& group, bool divide) {
  int flag = divide ? 1 : 0;
  check(MPI_Bcast(&flag, 1, MPI_INT, 0, group), "MPI_Bcast");
  return flag != 0;
}

}  // namespace detail

DivideTree gather_divide_tree(const boost::mpi::communicator& comm, std::vector<DivideNode> local) {
  std::vector<std::vector<DivideNode>> all;
  boost::mpi::gather(comm, local, all, 0);
  DivideTree tree;
  for (auto& nodes : all) {
    for (auto& n : nodes) tree.push_back(std::move(n));
  }
  // 'L' < 'R' and a prefix sorts first: path order is depth-first order.
  std::sort(tree.begin(), tree.end(),
            [](const DivideNode& a, const DivideNode& b) { return a.path < b.path; });
  return tree;
}

std::string render_divide_tree(const DivideTree& tree) {
  std::string out;
  if (tree.empty()) return out;
  const std::size_t end = render_from(tree, 0, out);
  if (end != tree.size()) throw std::runtime_error("divide tree: nodes outside the tree");
  return out;
}

}  // namespace mrkit
