// The divide-and-conquer tree as text (dcsort --trace shows it) and how keys appear in it.
#include <mrkit/patterns/divide_and_conquer.hpp>
#include <mrkit/patterns/merge_sort.hpp>

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

TEST(DescribeKeys, ShowsFewKeysWholeAndManyKeysCut) {
  EXPECT_EQ(mrkit::describe_keys(std::vector<mrkit::Key>{}), "[]");
  EXPECT_EQ(mrkit::describe_keys(std::vector<mrkit::Key>{38, -27, 43}), "[38 -27 43]");
  std::vector<mrkit::Key> many(20);
  for (std::size_t i = 0; i < many.size(); ++i) many[i] = static_cast<mrkit::Key>(i);
  EXPECT_EQ(mrkit::describe_keys(many, 8), "[0 1 2 3 4 5 ... 18 19] (20 keys)");
}

TEST(DivideTree, RendersDivideSolveAndCombineLines) {
  mrkit::DivideTree tree(5);
  auto node = [](std::string path, int rank, int first, int ranks, bool divided,
                 std::string problem, std::string solution) {
    mrkit::DivideNode n;
    n.path = std::move(path);
    n.rank = rank;
    n.first_rank = first;
    n.ranks = ranks;
    n.divided = divided;
    n.problem = std::move(problem);
    n.solution = std::move(solution);
    return n;
  };
  tree[0] = node("", 0, 0, 3, true, "[3 1 2]", "[1 2 3]");
  tree[0].helper = 1;
  tree[1] = node("L", 0, 0, 1, false, "[3]", "[3]");
  tree[2] = node("R", 1, 1, 2, true, "[1 2]", "[1 2]");
  tree[3] = node("RL", 1, 1, 1, false, "[1]", "[1]");
  tree[4] = node("RR", 2, 2, 1, false, "[2]", "[2]");
  EXPECT_EQ(mrkit::render_divide_tree(tree),
            "divide  [3 1 2] on ranks 0-2, rank 0 sends the right part to rank 1\n"
            "  solve   [3] on rank 0 -> [3]\n"
            "  divide  [1 2] on ranks 1-2, rank 1 sends the right part to rank 2\n"
            "    solve   [1] on rank 1 -> [1]\n"
            "    solve   [2] on rank 2 -> [2]\n"
            "  combine on rank 1 -> [1 2]\n"
            "combine on rank 0 together with rank 1 -> [1 2 3]\n");
  tree.pop_back();
  EXPECT_THROW((void)mrkit::render_divide_tree(tree), std::runtime_error);
}

TEST(DivideTree, LeftRanksIsHalfRoundedDown) {
  EXPECT_EQ(mrkit::left_ranks(2), 1);
  EXPECT_EQ(mrkit::left_ranks(3), 1);
  EXPECT_EQ(mrkit::left_ranks(4), 2);
  EXPECT_EQ(mrkit::left_ranks(7), 3);
  EXPECT_THROW((void)mrkit::left_ranks(1), std::invalid_argument);
}
