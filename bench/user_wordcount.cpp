// A word count as a user writes it on mrkit's public API (the README's example, verbatim
// between the markers; tests/readme checks that they are the same). Prints the 10 most frequent
// words; bench/mapreduce_peers.sh measures it against wordcount.
// readme-example-begin
#include <mrkit/mrkit.hpp>

#include <cstdio>

int main(int argc, char** argv) {
  return mrkit::run(argc, argv, "user_wordcount", [&](mrkit::Runtime& rt) {
    const mrkit::FileSource source(rt.world(), {argv + 1, argv + argc});
    auto counts = mrkit::count_by_key(rt.world(), source.tasks(), [&](auto task, auto& emit) {
      source.for_each_word(task, [&](const mrkit::Record& word) { emit(word.bytes); });
    });
    for (const auto& [word, n] : counts.top_k(10, mrkit::by_value_descending)) {
      std::printf("%llu\t%s\n", static_cast<unsigned long long>(n), word.c_str());
    }
    return 0;
  });
}
// readme-example-end
